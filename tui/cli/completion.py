"""Shell completion for bash, zsh and fish: `depllc completion SHELL` prints the script.

The scripts are small and all alike: on Tab they call `depllc __complete -- WORDS...`,
which walks the same argparse parser that runs the commands, so completion never falls
out of step with them. It offers subcommands, flags, the values of a flag (its argparse
choices, or the enum behind a free-text flag such as `--status`) and saved search names.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence

SHELLS = ("bash", "zsh", "fish")

BASH = """\
# depllc completion for bash: eval "$(depllc completion bash)" in ~/.bashrc
_depllc() {
    local IFS=$'\\n'
    COMPREPLY=($(depllc __complete -- "${COMP_WORDS[@]:1:COMP_CWORD}" 2>/dev/null))
}
complete -o default -F _depllc depllc
"""

ZSH = """\
#compdef depllc
# depllc completion for zsh: eval "$(depllc completion zsh)" in ~/.zshrc (after compinit)
_depllc() {
    local -a candidates
    candidates=("${(@f)$(depllc __complete -- "${(@)words[2,CURRENT]}" 2>/dev/null)}")
    compadd -Q -- "${(@)candidates:#}"
}
compdef _depllc depllc
"""

FISH = """\
# depllc completion for fish: depllc completion fish > ~/.config/fish/completions/depllc.fish
function __depllc_complete
    set -l words (commandline -opc)
    set -e words[1]
    depllc __complete -- $words (commandline -ct) 2>/dev/null
end
complete -c depllc -f -a '(__depllc_complete)'
"""

SCRIPTS = {"bash": BASH, "zsh": ZSH, "fish": FISH}


def _saved_search_names() -> list[str]:
    from core.logs import saved

    try:
        return list(saved.load_all())
    except Exception:  # a broken file: no names to offer, never a traceback on Tab
        return []


def _enum_values(name: str) -> Callable[[], list[str]]:
    def values() -> list[str]:
        from core import models

        return [member.value for member in getattr(models, name)]

    return values


# Values of free-text flags, by (subcommand path, dest); "" matches any path.
_VALUES: dict[tuple[str, str], Callable[[], list[str]]] = {
    ("", "status"): _enum_values("EmailStatus"),
    ("", "category"): _enum_values("EmailCategory"),
    ("", "priority"): _enum_values("EmailPriority"),
    ("", "reason"): _enum_values("SuppressionReason"),
    ("files", "status"): _enum_values("FileStatus"),
    ("files", "category"): _enum_values("FileCategory"),
    ("", "saved"): _saved_search_names,
    ("logs saved", "delete"): _saved_search_names,
}


def _subparsers(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            named = action._name_parser_map  # `choices` may be cleared (logs QUERY | show)
            return {name: sub for name, sub in named.items() if not name.startswith("_")}
    return {}


def _options(parser: argparse.ArgumentParser) -> dict[str, argparse.Action]:
    return {
        flag: action
        for action in parser._actions
        if action.help != argparse.SUPPRESS
        for flag in action.option_strings
    }


def _values(path: list[str], action: argparse.Action) -> list[str]:
    if action.choices is not None:
        return [str(choice) for choice in action.choices]
    for depth in range(len(path), -1, -1):  # the most specific command first
        found = _VALUES.get((" ".join(path[:depth]), action.dest))
        if found is not None:
            return found()
    return []


def complete(parser: argparse.ArgumentParser, words: Sequence[str]) -> list[str]:
    """The candidates for the last word of `words` (the one being typed, maybe empty),
    given the words before it on the command line after `depllc`."""
    *before, current = list(words) or [""]
    path: list[str] = []
    expecting: argparse.Action | None = None
    for word in before:
        if expecting is not None:
            expecting = None
            continue
        flag, has_value, _ = word.partition("=")
        action = _options(parser).get(flag)
        if action is not None:
            if action.nargs != 0 and not has_value:
                expecting = action
            continue
        sub = _subparsers(parser).get(word)
        if sub is not None:
            parser = sub
            path.append(word)
    if expecting is not None:
        candidates = _values(path, expecting)
    elif current.startswith("-"):
        flag, has_value, _ = current.partition("=")
        action = _options(parser).get(flag)
        if has_value and action is not None:
            pairs = [f"{flag}={value}" for value in _values(path, action)]
            return [pair for pair in pairs if pair.startswith(current)]
        candidates = sorted(_options(parser))
    else:
        candidates = list(_subparsers(parser))
        for action in parser._actions:
            if (
                not action.option_strings
                and action.choices is not None
                and not isinstance(action, argparse._SubParsersAction)
            ):
                candidates += [str(choice) for choice in action.choices]
    return [c for c in candidates if c.startswith(current)]


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "completion",
        help="print the shell completion script (bash, zsh or fish)",
        description='bash: eval "$(depllc completion bash)" in ~/.bashrc; zsh: the same with '
        "zsh in ~/.zshrc; fish: depllc completion fish > ~/.config/fish/completions/depllc.fish",
    )
    p.add_argument("shell", choices=SHELLS)
    p.set_defaults(func=lambda ctx: print(SCRIPTS[ctx.args.shell], end="") or 0)
