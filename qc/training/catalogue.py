"""The catalogue of training modules: created and edited by QC leads and administrators,
read by everyone who takes part in training. Editing writes a new version; the old ones
stay, because assignments point at them.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from urllib.parse import urlsplit

from sqlalchemy.orm import Session

from qc.errors import Forbidden, InvalidInput, NotFound
from qc.scoring import service as scoring
from qc.training import access
from qc.training import repository as repo
from qc.training.models import TrainingModule, TrainingModuleVersion
from qc.users.schemas import Principal

MAX_TITLE = 200
MAX_DESCRIPTION = 4000
MAX_MATERIAL = 50_000
MAX_URL = 2000
MAX_ITEMS = 10
MAX_MINUTES = 24 * 60


class TrainingInvalid(InvalidInput):
    """A training form with field errors, keyed by field name."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(errors.values()), details={"errors": errors})
        self.errors = errors


@dataclass
class ModuleInput:
    title: str = ""
    description: str = ""
    material_url: str = ""
    material_text: str = ""
    items: list[str] = field(default_factory=list)  # "scorecard:item" keys
    expected_minutes: int | None = 30
    has_assessment: bool = False
    pass_mark: int | None = None  # None: pass/fail

    @classmethod
    def of(cls, version: TrainingModuleVersion) -> ModuleInput:
        return cls(
            title=version.title,
            description=version.description,
            material_url=version.material_url or "",
            material_text=version.material_text,
            items=list(version.items),
            expected_minutes=version.expected_minutes,
            has_assessment=version.has_assessment,
            pass_mark=version.pass_mark,
        )


def item_choices(session: Session) -> dict[str, str]:
    """The items a module may address ("scorecard:item" -> label), from the current scorecards."""
    return {f"{card}:{item}": label for (card, item), label in scoring.item_labels(session).items()}


def _check(data: ModuleInput, known: dict[str, str]) -> dict[str, str]:
    errors: dict[str, str] = {}
    if not 3 <= len(data.title.strip()) <= MAX_TITLE:
        errors["title"] = f"Give the module a title of 3 to {MAX_TITLE} characters"
    if len(data.description) > MAX_DESCRIPTION:
        errors["description"] = f"At most {MAX_DESCRIPTION} characters"
    url = data.material_url.strip()
    if url and (
        len(url) > MAX_URL or urlsplit(url).scheme not in ("http", "https") or not urlsplit(url).netloc
    ):
        errors["material_url"] = "Enter a web address starting with https:// (or http://)"
    if len(data.material_text) > MAX_MATERIAL:
        errors["material_text"] = f"At most {MAX_MATERIAL} characters; link longer material instead"
    if not url and not data.material_text.strip() and "material_url" not in errors:
        errors["material_text"] = "Give the material: a link to it, or its text"
    if len(set(data.items)) > MAX_ITEMS:
        errors["items"] = f"At most {MAX_ITEMS} items"
    elif set(data.items) - set(known):
        errors["items"] = "Choose the items from the list"
    if data.expected_minutes is None or not 1 <= data.expected_minutes <= MAX_MINUTES:
        errors["expected_minutes"] = f"Enter the expected time in whole minutes, 1 to {MAX_MINUTES}"
    if data.pass_mark is not None and not data.has_assessment:
        errors["pass_mark"] = "Only a module that ends with an assessment has a pass mark"  # noqa: S105
    elif data.pass_mark is not None and not 1 <= data.pass_mark <= 100:
        errors["pass_mark"] = "Enter a pass mark from 1 to 100, or leave it empty for pass/fail"  # noqa: S105
    return errors


def _version(data: ModuleInput, number: int, principal: Principal) -> TrainingModuleVersion:
    assert data.expected_minutes is not None
    return TrainingModuleVersion(
        version=number,
        title=data.title.strip(),
        description=data.description.strip(),
        material_url=data.material_url.strip() or None,
        material_text=data.material_text.strip(),
        items=list(dict.fromkeys(data.items)),
        expected_minutes=data.expected_minutes,
        has_assessment=data.has_assessment,
        pass_mark=data.pass_mark if data.has_assessment else None,
        created_by_id=principal.id,
    )


def _require_keeper(principal: Principal) -> None:
    if not access.keeps_catalogue(principal):
        raise Forbidden("The training catalogue is kept by QC leads and administrators")


def create_module(session: Session, principal: Principal, *, data: ModuleInput) -> TrainingModule:
    """Add a module to the catalogue (its version 1)."""
    _require_keeper(principal)
    errors = _check(data, item_choices(session))
    if errors:
        raise TrainingInvalid(errors)
    module = TrainingModule(title=data.title.strip(), latest_version=1)
    module.versions = [_version(data, 1, principal)]
    session.add(module)
    session.flush()
    return module


def edit_module(
    session: Session, principal: Principal, module_id: int, *, data: ModuleInput
) -> TrainingModule:
    """Write the module's next version; assignments already started keep theirs. Saving it
    unchanged writes nothing."""
    _require_keeper(principal)
    module = get_module(session, principal, module_id, for_update=True)
    known = item_choices(session) | {key: key for key in module.current.items}  # retired items stay
    errors = _check(data, known)
    if errors:
        raise TrainingInvalid(errors)
    new = _version(data, module.latest_version + 1, principal)
    if _same(new, module.current):
        return module
    module.versions.append(new)
    module.latest_version, module.title = new.version, new.title
    session.flush()
    return module


def _same(a: TrainingModuleVersion, b: TrainingModuleVersion) -> bool:
    fields = ModuleInput.of(a), ModuleInput.of(b)
    return asdict(fields[0]) == asdict(fields[1])


def get_module(
    session: Session, principal: Principal, module_id: int, *, for_update: bool = False
) -> TrainingModule:
    if not access.takes_part(principal):
        raise Forbidden("Training is for reps, managers, QC leads and administrators")
    module = repo.get_module(session, module_id, for_update=for_update)
    if module is None:
        raise NotFound(f"Training module {module_id} does not exist")
    return module


def list_modules(session: Session, principal: Principal) -> list[TrainingModule]:
    """The catalogue, by title."""
    if not access.takes_part(principal):
        raise Forbidden("Training is for reps, managers, QC leads and administrators")
    return repo.modules(session)


def find_module(session: Session, module_id: int) -> TrainingModule | None:
    """The module without a permission check (services and event handlers)."""
    return repo.get_module(session, module_id)
