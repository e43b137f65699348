"""Analytics: pure functions over prices and weights (measures, returns, drift, risk, costs, clusters, regime)."""
