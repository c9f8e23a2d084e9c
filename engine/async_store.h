#pragma once
// Awaitable adapter over storage::Store::save_lead: the completion, which runs on the commit
// thread, is posted back to the awaiting coroutine's executor.
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/post.hpp>
#include <memory>

#include "storage/store.h"

namespace pp::engine {

template <class Token>
auto async_save_lead(storage::Store& store, const Lead& lead, const DebugLog& debug,
                     storage::LeadExtras extras, Token&& token) {
  return boost::asio::async_initiate<Token, void(storage::Status)>(
      [&store, &lead, &debug, extras = std::move(extras)](auto handler) mutable {
        auto ex = boost::asio::get_associated_executor(handler);
        using Handler = decltype(handler);
        auto h = std::make_shared<Handler>(std::move(handler));
        store.save_lead(lead, debug, std::move(extras), [h, ex](storage::Status st) {
          boost::asio::post(ex, [h, st = std::move(st)]() mutable { (*h)(std::move(st)); });
        });
      },
      token);
}

template <class Token>
auto async_update_lead(storage::Store& store, const Lead& lead, std::vector<rollup::Delta> rollups,
                       std::vector<storage::OutboxPut> outbox,
                       std::vector<storage::Posting> postings, Token&& token) {
  return boost::asio::async_initiate<Token, void(storage::Status)>(
      [&store, &lead, rollups = std::move(rollups), outbox = std::move(outbox),
       postings = std::move(postings)](auto handler) mutable {
        auto ex = boost::asio::get_associated_executor(handler);
        using Handler = decltype(handler);
        auto h = std::make_shared<Handler>(std::move(handler));
        store.update_lead(lead, std::move(rollups), std::move(outbox), std::move(postings),
                          [h, ex](storage::Status st) {
                            boost::asio::post(
                                ex, [h, st = std::move(st)]() mutable { (*h)(std::move(st)); });
                          });
      },
      token);
}

template <class Token>
auto async_save_late_checks(storage::Store& store, const std::string& lead_id,
                            const std::vector<CheckRecord>& checks, Token&& token) {
  return boost::asio::async_initiate<Token, void(storage::Status)>(
      [&store, &lead_id, &checks](auto handler) {
        auto ex = boost::asio::get_associated_executor(handler);
        using Handler = decltype(handler);
        auto h = std::make_shared<Handler>(std::move(handler));
        store.save_late_checks(lead_id, checks, [h, ex](storage::Status st) {
          boost::asio::post(ex, [h, st = std::move(st)]() mutable { (*h)(std::move(st)); });
        });
      },
      token);
}

}  // namespace pp::engine
