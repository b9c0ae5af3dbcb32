"""Scoring classifiers on labelled reply sets: load, run, measure, report, compare, export corrections."""
