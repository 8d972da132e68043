"""Serving: the prediction-log writer now; the model server and deployments build on it."""
