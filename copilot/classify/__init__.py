"""Reply classifiers behind the `Classifier` protocol."""
