"""Risk and stress of a profile's holdings and proposal: ex-ante risk, episodes, shocks, VaR and its backtest."""
