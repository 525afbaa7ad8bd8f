"""Evaluation: the data set, the BRIEF's metrics, runs and reports."""
