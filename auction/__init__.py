"""The online judicial auction (网络司法拍卖): rules, engine, store, API and web pages."""
