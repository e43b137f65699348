"""Rebalance proposals: modes, circuit breakers, trade lists, simulation, approval and paper execution."""
