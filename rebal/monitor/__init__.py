"""Watching the book: Last Implemented State, drift audit, planner, market sensitivity and factor map."""
