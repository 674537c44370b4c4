"""Prices: market data, the price model, intervals, comparables, the auction-outcome model and
the legal reference price (online inquiry). Knows nothing of HTTP."""
