"""Engines that turn targets into candidate texts: heuristic, transformers+peft, OpenAI API."""
