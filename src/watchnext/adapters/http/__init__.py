"""HTTP in front of the service layer: API Gateway proxy events in, proxy responses out."""
