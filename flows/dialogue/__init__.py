"""The conversation's pieces below the step function: words, answers, safety, confirmations."""
