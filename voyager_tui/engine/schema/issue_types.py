"""What one catalogued issue type is: category, impact, workaround, and the YugabyteDB versions that fix it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType

from ..yb_versions import YBVersion, is_fixed


class Category(StrEnum):
    UNSUPPORTED_FEATURES = "unsupported_features"
    UNSUPPORTED_DATATYPES = "unsupported_datatypes"
    MIGRATION_CAVEATS = "migration_caveats"
    UNSUPPORTED_PLPGSQL_OBJECTS = "unsupported_plpgsql_objects"
    UNSUPPORTED_QUERY_CONSTRUCTS = "unsupported_query_constructs"
    PERFORMANCE_OPTIMIZATIONS = "performance_optimizations"


CATEGORY_TITLES: Mapping[Category, str] = MappingProxyType({
    Category.UNSUPPORTED_FEATURES: "Unsupported features",
    Category.UNSUPPORTED_DATATYPES: "Unsupported datatypes",
    Category.MIGRATION_CAVEATS: "Migration caveats",
    Category.UNSUPPORTED_PLPGSQL_OBJECTS: "Unsupported PL/pgSQL objects",
    Category.UNSUPPORTED_QUERY_CONSTRUCTS: "Unsupported query constructs",
    Category.PERFORMANCE_OPTIMIZATIONS: "Performance optimizations",
})


class Impact(StrEnum):
    LEVEL_1 = "LEVEL_1"
    """A schema-only change gets past it."""
    LEVEL_2 = "LEVEL_2"
    """Application queries have to change."""
    LEVEL_3 = "LEVEL_3"
    """No simple workaround: data cannot be loaded as is, or the design has to change."""


class Maturity(StrEnum):
    TECH_PREVIEW = "TP"
    EARLY_ACCESS = "EA"


_EMPTY: Mapping[str, str] = MappingProxyType({})


@dataclass(frozen=True)
class IssueType:
    id: str
    name: str
    category: Category
    impact: Impact
    description: str
    workaround: str
    docs_link: str
    fixed_in: Mapping[str, str] = field(default_factory=lambda: _EMPTY)
    """Series -> first GA version of that series that supports the construct."""
    preview_in: Mapping[str, str] = field(default_factory=lambda: _EMPTY)
    """Series -> first version where the construct works as tech preview / early access (not counted as fixed)."""
    preview_maturity: Maturity | None = None
    enabling_flag: str = ""
    """The gflag that turns the preview on."""
    carry_forward: bool = True
    """Whether a series newer than all listed ones inherits the fix (see yb_versions.is_fixed)."""
    gh_issue: str = ""

    def is_fixed_in(self, target_version: str | YBVersion) -> bool:
        return is_fixed(self.fixed_in, target_version, carry_forward=self.carry_forward)

    def preview_note(self, target_version: str | YBVersion) -> str | None:
        """A sentence saying the construct can be switched on in this version, or None."""
        if self.preview_maturity is None or self.is_fixed_in(target_version):
            return None
        if not is_fixed(self.preview_in, target_version, carry_forward=self.carry_forward):
            return None
        label = "tech preview" if self.preview_maturity is Maturity.TECH_PREVIEW else "early access"
        flag = f" (enable with the gflag {self.enabling_flag})" if self.enabling_flag else ""
        return f"Available as {label} in YugabyteDB {target_version}{flag}."


def fixed_in(**series: str) -> Mapping[str, str]:
    """fixed_in(s2_25="2.25.0.0", s2025_1="2025.1.0.0") -> {"2.25": "2.25.0.0", "2025.1": "2025.1.0.0"}."""
    return MappingProxyType({k[1:].replace("_", "."): v for k, v in series.items()})
