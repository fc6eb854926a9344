"""The `openai` engine: any OpenAI-compatible completions server (codegen serve, vLLM, SGLang).

May import adapters/engines and adapters/prompts.
"""
