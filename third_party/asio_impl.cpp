// The one translation unit that compiles Boost.Asio (with SSL) and Boost.Beast.
// Everything else includes their headers with *_SEPARATE_COMPILATION defined (see CMakeLists.txt).
#include <boost/asio/impl/src.hpp>
#include <boost/asio/ssl/impl/src.hpp>
#include <boost/beast/src.hpp>
