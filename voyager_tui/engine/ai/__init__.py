"""AI-assisted fixes: suggestions from a rule provider or an LLM, each validated on the real target before a human
decides, and every decision recorded in ybvoyager.suggestions."""
