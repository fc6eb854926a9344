"""The `openai` engine: any OpenAI-compatible completions server (codegen serve, vLLM, SGLang)."""
