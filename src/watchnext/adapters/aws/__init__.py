"""Adapters backed by AWS services (Personalize, DynamoDB, SQS, SSM)."""
