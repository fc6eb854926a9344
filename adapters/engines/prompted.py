"""A model engine: prompts in, completions from any `Completer`, parsed answers out as candidates.

The `hf` engine (a model in this process) and the `openai` engine (a model behind HTTP) differ
only in their completer, so a target gets the same prompt and the same parsing either way.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import replace

from codegen_bot.adapters.engines.base import Candidate, EngineIdentity, RunContext, Task
from codegen_bot.adapters.engines.chat import ChatFrame, resolve_format
from codegen_bot.adapters.engines.completion import (
    Completer,
    Completion,
    CompletionError,
    CompletionRequest,
    Sampling,
)
from codegen_bot.adapters.prompts.build import Prompt, build_prompt
from codegen_bot.adapters.prompts.parse import parse_answer
from codegen_bot.refactor.results import Failure
from codegen_bot.refactor.targets import Target


def prompt_budget(context: RunContext, task: Task, max_context: int | None) -> int:
    """Tokens a prompt may use: the run's budget, less the answer's room under the model's limit."""
    budget = context.context_tokens
    if max_context is not None:
        budget = min(budget, max_context - context.max_new_tokens.of(task))
    return budget


def prompt_setup(
    context: RunContext, task: Task, completer: Completer
) -> tuple[RunContext, ChatFrame | None] | Failure:
    """The context (budget) and chat frame `task`'s prompts are built with.

    A task whose adapter recorded how it was trained is prompted that way: the same format and
    the same prompt budget, whatever the run asks. Otherwise the run's `prompt_format` decides
    (`auto`: the model's chat template when it has one). Fails when `chat` is asked of a model
    without a template.
    """
    trained = completer.trained_prompt(task)
    frame = completer.chat_frame
    if trained is not None:
        context = replace(context, context_tokens=trained.context_tokens)
    wanted = trained.format if trained is not None else context.prompt_format
    if resolve_format(wanted, frame) == "completion":
        return context, None
    if frame is None:
        return Failure("the chat prompt format is asked for, but the model has no chat template")
    return context, frame


def requests_for(prompt: Prompt, task: Task, context: RunContext) -> list[CompletionRequest]:
    """The greedy request for a prompt, and one for `samples - 1` sampled answers when asked."""
    max_new = context.max_new_tokens.of(task)
    requests = [CompletionRequest(prompt.text, max_new, prompt.stop)]
    if context.samples > 1:
        sampling = Sampling(temperature=context.temperature)
        requests.append(
            CompletionRequest(prompt.text, max_new, prompt.stop, context.samples - 1, sampling)
        )
    return requests


def in_preference_order(
    greedy: Sequence[Completion], sampled: Sequence[Completion]
) -> list[Completion]:
    """The greedy answer first, then samples by likelihood per token; repeated texts once."""
    ranked = sorted(
        sampled,
        key=lambda c: -(c.mean_logprob if c.mean_logprob is not None else float("-inf")),
    )
    seen: set[str] = set()
    ordered = []
    for completion in [*greedy, *ranked]:
        if completion.text not in seen:
            seen.add(completion.text)
            ordered.append(completion)
    return ordered


class PromptedEngine:
    """An `Engine` over a completer: builds prompts, batches them per task, parses the answers."""

    def __init__(self, name: str, completer: Completer) -> None:
        self.name = name
        self.completer = completer

    @property
    def identity(self) -> EngineIdentity:
        """The engine with its model and the adapters it uses."""
        return self.completer.summary

    def propose(
        self, task: Task, targets: Sequence[Target], context: RunContext | None = None
    ) -> list[Candidate]:
        """Candidates for every target, each target's in order of preference (greedy first)."""
        if not targets:
            return []
        context = context or RunContext()
        identity = self.completer.identity(task)
        setup = prompt_setup(context, task, self.completer)
        if isinstance(setup, Failure):
            return [Candidate(target, task, None, identity, setup.reason) for target in targets]
        context, frame = setup
        budget = prompt_budget(context, task, self.completer.max_context)
        candidates: dict[int, list[Candidate]] = {}
        prompted: list[tuple[int, Prompt]] = []
        for index, target in enumerate(targets):
            built = build_prompt(
                task, target, context, self.completer.count_tokens, budget, frame=frame
            )
            if isinstance(built, Failure):
                candidates[index] = [Candidate(target, task, None, identity, built.reason)]
            else:
                prompted.append((index, built.value))
        requests: list[CompletionRequest] = []
        owners: list[tuple[int, bool]] = []  # (target index, sampled?) per request
        for index, prompt in prompted:
            for request in requests_for(prompt, task, context):
                requests.append(request)
                owners.append((index, not request.sampling.greedy))
        started = time.perf_counter()
        results = self.completer.complete(task, requests) if requests else []
        seconds = (time.perf_counter() - started) / max(len(prompted), 1)
        answers: dict[int, tuple[list[Completion], list[Completion], list[str]]] = {}
        for (index, sampled), result in zip(owners, results, strict=True):
            greedy_list, sampled_list, errors = answers.setdefault(index, ([], [], []))
            if isinstance(result, CompletionError):
                errors.append(result.reason)
            else:
                (sampled_list if sampled else greedy_list).extend(result)
        for index, prompt in prompted:
            target = targets[index]
            greedy_list, sampled_list, errors = answers.get(index, ([], [], []))
            found = []
            for completion in in_preference_order(greedy_list, sampled_list):
                parsed = parse_answer(task, completion, target, prompt.text)
                text, error = (
                    (None, parsed.reason) if isinstance(parsed, Failure) else (parsed.value, None)
                )
                found.append(Candidate(target, task, text, identity, error, seconds))
            for reason in errors:
                found.append(
                    Candidate(target, task, None, identity, f"model server: {reason}", seconds)
                )
            candidates[index] = found
        return [c for index in range(len(targets)) for c in candidates.get(index, [])]
