// Lot page: a live countdown and the current price, bid record and result, polled from
// /lots/{id}/live every 2 seconds (no reload). The server's clock decides; the browser only
// counts down from the server's ends_at, corrected by the offset between the two clocks.
(function () {
  const live = document.getElementById("live");
  if (!live) return;
  const $ = (id) => document.getElementById(id);
  const state = {
    status: live.dataset.status,
    endsAt: Date.parse(live.dataset.endsAt),
    startsAt: Date.parse(live.dataset.startsAt),
    offset: Date.parse(live.dataset.serverNow) - Date.now(),
  };
  let amountEdited = false;
  document.addEventListener("input", (e) => { if (e.target.id === "amount") amountEdited = true; });

  function words(ms) {
    let s = Math.max(0, Math.floor(ms / 1000));
    const parts = [[Math.floor(s / 86400), "天"], [Math.floor(s % 86400 / 3600), "小时"],
      [Math.floor(s % 3600 / 60), "分钟"], [s % 60, "秒"]];
    while (parts.length > 1 && parts[0][0] === 0) parts.shift();
    return parts.slice(0, 2).map(([n, u]) => n + u).join("");
  }

  function tick() {
    const now = Date.now() + state.offset;
    const label = $("countdown-label"), countdown = $("countdown");
    if (state.status === "announced") {
      label.textContent = "距开始"; countdown.textContent = words(state.startsAt - now);
    } else if (state.status === "bidding" || state.status === "sale" || state.status === "sale_bidding") {
      label.textContent = "距结束"; countdown.textContent = words(state.endsAt - now);
    } else {
      const halted = state.status === "suspended" || state.status === "stopped";
      label.textContent = halted ? "已停止" : "已结束"; countdown.textContent = "";
    }
  }

  async function poll() {
    try {
      const response = await fetch(live.dataset.liveUrl, { headers: { Accept: "application/json" } });
      if (!response.ok) return;
      const data = await response.json();
      state.offset = Date.parse(data.server_now) - Date.now();
      state.endsAt = Date.parse(data.ends_at);
      state.startsAt = Date.parse(data.starts_at);
      $("current-price").textContent = data.current_price_text;
      $("current-price").classList.toggle("ended", data.status === "failed" || data.status === "reneged");
      $("price-label").textContent = data.price_label;
      $("bid-count").textContent = "（共 " + data.bid_count + " 次）";
      $("bid-count-live").textContent = data.bid_count;
      $("registration-count").textContent = data.registration_count;
      $("bid-record").innerHTML = data.bids_html;
      $("ends-at-fact").textContent = data.ends_at_text;
      $("ends-at-text").textContent = data.ends_at_text;
      $("extended").hidden = !data.extended;
      $("result").innerHTML = data.result_html;
      const standing = $("my-standing");
      if (standing) {
        standing.textContent = data.standing_text;
        standing.className = "standing standing-" + data.standing;
        standing.hidden = !data.standing;
      }
      const badge = $("status");
      badge.textContent = data.status_text;
      badge.className = "badge status-" + data.status;
      if (data.status !== state.status) {
        state.status = data.status;
        $("bidding").outerHTML = data.bidding_html;
        amountEdited = false;
      }
      const amount = $("amount");
      if (amount && data.next_bid && (!amountEdited || Number(amount.value) < Number(data.next_bid))) {
        amount.value = data.next_bid;
      }
      if ($("next-bid-text") && data.next_bid_text) $("next-bid-text").textContent = data.next_bid_text;
    } catch (err) {
      // A missed poll is retried on the next one.
    }
  }

  tick();
  setInterval(tick, 250);
  setInterval(poll, 2000);
})();
