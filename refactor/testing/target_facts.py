"""What an engine gets to write tests for one definition: the target plus what is known about it.

`TestTarget` is a `Target` (engines take targets) with the facts gathered before proposing:
how to import it, where its test file goes, the repository's conventions, example calls with
the results observed in the sandbox, a property test from Hypothesis's ghostwriter, and which
lines and branches the repository's own tests miss.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from codegen_bot.refactor.targets import Target
from codegen_bot.refactor.testing.conventions import Conventions


@dataclass(frozen=True)
class OnInstance:
    """A method's call made on a fresh instance, whose state an observer shows.

    The test binds `receiver = constructor`, makes the call (`barrel_list.append(4)`), and
    asserts `observer(receiver)` afterwards (`list(barrel_list)`), when the call changed it.
    """

    receiver: str
    constructor: str
    #: A builtin whose value shows the instance's state: `list`, `dict` or `len`.
    observer: str


def probe_expression(call: str, instance: OnInstance | None) -> str:
    """The one expression the sandbox evaluates for `call`.

    On an instance it is `(state before, value returned, state after)`, in that order.
    """
    if instance is None:
        return call
    state = f"{instance.observer}({instance.receiver})"
    return f"(lambda {instance.receiver}: ({state}, {call}, {state}))({instance.constructor})"


@dataclass(frozen=True)
class ObservedExample:
    """One call and what it did when run twice in the sandbox: the same value, or an exception."""

    call: str
    origin: str
    #: `repr` of the value it returned, a Python literal that reads back equal.
    returns: str | None = None
    #: The exception it raised: a builtin's name, or `module.Name`.
    raises: str | None = None
    #: What the call needs imported: `(module, name)`, `(module, "")` for `import module`, and
    #: the module "" for the target's own module.
    imports: tuple[tuple[str, str], ...] = ()
    #: The instance a method's call was made on, if any.
    instance: OnInstance | None = None
    #: `repr` of the instance's observed state after the call, when the call changed it.
    state: str | None = None

    @property
    def expression(self) -> str:
        """What the sandbox evaluated (and names its coverage context)."""
        return probe_expression(self.call, self.instance)


@dataclass(frozen=True)
class TestTarget(Target):
    """A definition to write tests for, with everything known about it."""

    __test__ = False  # not a pytest test class, whatever its name

    module: str = ""
    #: Where the new test module goes, relative to the repository.
    test_path: str = ""
    conventions: Conventions = field(default_factory=Conventions)
    examples: tuple[ObservedExample, ...] = ()
    #: A whole property-test module from Hypothesis's ghostwriter, when the types allow one.
    property_test: str | None = None
    #: Exceptions the definition raises itself (`raise ValueError(...)`), by name.
    raises: tuple[str, ...] = ()
    missed_lines: tuple[int, ...] = ()
    missed_branches: tuple[tuple[int, int], ...] = ()
    #: Why example calls or the property test were left out (side effects, hangs...).
    notes: tuple[str, ...] = ()

    @property
    def key(self) -> str:
        """`path:qualname`, unique in a run."""
        return f"{self.path}:{self.qualname}"
