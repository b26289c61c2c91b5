"""The routing proxy: one local OpenAI-compatible (and Ollama-native) endpoint.

Never imports Qt; never logs prompt text or keys.
"""
