"""An exercise's own words in one language, for what people read: mistakes by their names, never by id.

Results carry a mistake's id (data that crosses processes); its name and the pointer to the lesson's
formula are the spec's words, looked up here in the language the reports are written in.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from grader.messages import t
from grader.spec import AssignmentSpec


@dataclass(frozen=True)
class Glossary:
    """Per part: the mistakes' names and hints, and the part's hint, in `lang`."""

    lang: str = "en"
    mistakes: dict[tuple[str, str], tuple[str, str | None]] = field(default_factory=dict)
    hints: dict[str, str] = field(default_factory=dict)

    @classmethod
    def of(cls, spec: AssignmentSpec | None, lang: str) -> Glossary:
        if spec is None:
            return cls(lang)
        mistakes: dict[tuple[str, str], tuple[str, str | None]] = {}
        hints: dict[str, str] = {}
        for part in spec.parts:
            if part.hint is not None:
                hints[part.name] = part.hint.get(lang)
            for mistake in part.mistakes:
                hint = mistake.hint or part.hint
                mistakes[(part.name, mistake.id)] = (mistake.name.get(lang), hint.get(lang) if hint else None)
        return cls(lang, mistakes, hints)

    def mistake_name(self, part: str, mistake_id: str) -> str:
        """The mistake's name; an id the spec does not know (a result from another version) in words."""
        known = self.mistakes.get((part, mistake_id))
        return known[0] if known else mistake_id.replace("_", " ")

    def explanation(self, part: str, mistake_id: str | None, *, has_example: bool) -> str | None:
        """One sentence for a failed check: the named mistake and where to look in the lesson; for a
        wrong answer no mistake explains, where to look; else nothing."""
        known = self.mistakes.get((part, mistake_id)) if mistake_id else None
        if known is not None:
            name, hint = known
            return (t("misconception.named", self.lang, name=name, formula=hint) if hint
                    else t("misconception.named_no_hint", self.lang, name=name))
        hint_of_part = self.hints.get(part)
        if has_example and hint_of_part:
            return t("feedback.look_again", self.lang, formula=hint_of_part)
        return None
