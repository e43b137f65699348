"""The week's decision per profile: one action from one vocabulary, from the monitor, planner and proposal."""
