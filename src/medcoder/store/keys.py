"""Key rotation: re-seal every encrypted value of the database with a new key.

:func:`reencrypt` walks every table of ``Base.metadata`` (core, jobs, claims, billing), finds the
columns whose type is one of the encrypted types of :mod:`medcoder.store.crypto`, and, in the
caller's transaction, re-seals each value not yet under the ring's current key. Keyed-HMAC
columns (declared with ``info={"blind_index_of": "<column>"}``) are recomputed with the new key
from the decrypted value. The ring must hold the new key (current) and every old key.

:func:`rotate` is what ``medcoder keys rotate`` runs: it writes the key file with the new key
first and the old keys after (so a crash at any point leaves every value readable), re-seals
everything in ONE transaction, checks that no value under an old key is left, and only then
rewrites the key file without the old keys (unless asked to keep them).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.orm import Session

from medcoder.store import audit, crypto
from medcoder.store.all_models import Base

__all__ = [
    "EncryptedColumns",
    "RotationReport",
    "encrypted_columns",
    "key_usage",
    "reencrypt",
    "rotate",
    "stale_values",
]

BATCH = 500


@dataclass(frozen=True)
class EncryptedColumns:
    """One table's encrypted columns (name -> purpose) and blind indexes (name -> source)."""

    table: str
    key: str
    sealed: dict[str, str]
    blind: dict[str, str]


@dataclass(frozen=True)
class RotationReport:
    """What a rotation did: the new key id, the old ones, values re-sealed per ``table.column``
    and keyed hashes recomputed."""

    new_key_id: str
    old_key_ids: tuple[str, ...]
    resealed: dict[str, int] = field(default_factory=dict)
    digests: int = 0
    key_file: str = ""
    old_keys_kept: bool = False


def encrypted_columns(metadata: sa.MetaData | None = None) -> list[EncryptedColumns]:
    """Every table with encrypted columns, in a stable order."""
    found = []
    for table in (metadata or Base.metadata).sorted_tables:
        sealed = {
            c.name: c.type.purpose
            for c in table.columns
            if isinstance(
                c.type, crypto.EncryptedText | crypto.EncryptedDate | crypto.EncryptedJSON
            )
        }
        blind = {
            c.name: c.info["blind_index_of"] for c in table.columns if "blind_index_of" in c.info
        }
        if not sealed:
            continue
        keys = list(table.primary_key.columns)
        if len(keys) != 1:
            raise ValueError(f"{table.name}: encrypted columns need a one-column primary key")
        found.append(EncryptedColumns(table.name, keys[0].name, sealed, blind))
    return found


def reencrypt(session: Session, ring: crypto.KeyRing) -> RotationReport:
    """Re-seal every value not under ``ring``'s current key (in the session's transaction)."""
    resealed: dict[str, int] = {}
    digests = 0
    for spec in encrypted_columns():
        names = [spec.key, *spec.sealed, *spec.blind]
        table = sa.table(spec.table, *[sa.column(n) for n in names])  # untyped: raw ciphertext
        all_keys = list(
            session.execute(sa.select(table.c[spec.key]).order_by(table.c[spec.key])).scalars()
        )
        for start in range(0, len(all_keys), BATCH):
            chunk = all_keys[start : start + BATCH]
            rows = session.execute(sa.select(table).where(table.c[spec.key].in_(chunk))).all()
            for row in rows:
                values: dict[str, str] = {}
                plain: dict[str, str] = {}
                for name, purpose in spec.sealed.items():
                    token = row._mapping[name]
                    if token is None:
                        continue
                    text = ring.decrypt(str(token), purpose=purpose)
                    plain[name] = text.decode()
                    if crypto.token_key_id(str(token)) != ring.current_id:
                        values[name] = ring.encrypt(text, purpose=purpose)
                        label = f"{spec.table}.{name}"
                        resealed[label] = resealed.get(label, 0) + 1
                for name, source in spec.blind.items():
                    if source in plain:
                        fresh = ring.digest(plain[source], purpose=spec.sealed[source])
                        if row._mapping[name] != fresh:
                            values[name] = fresh
                            digests += 1
                if values:
                    session.execute(
                        sa.update(table)
                        .where(table.c[spec.key] == row._mapping[spec.key])
                        .values(**values)
                    )
    old = tuple(k for k in ring.keys if k != ring.current_id)
    return RotationReport(ring.current_id, old, resealed, digests)


def stale_values(session: Session, current_id: str) -> dict[str, int]:
    """How many values per ``table.column`` are sealed under another key than ``current_id``."""
    stale: dict[str, int] = {}
    for spec in encrypted_columns():
        for name in spec.sealed:
            column: sa.ColumnClause[str] = sa.column(name, sa.Text())
            count = session.execute(
                sa.select(sa.func.count())
                .select_from(sa.table(spec.table, column))
                .where(column.is_not(None), sa.not_(column.startswith(f"mc1:{current_id}:")))
            ).scalar_one()
            if count:
                stale[f"{spec.table}.{name}"] = int(count)
    return stale


def key_usage(session: Session) -> dict[str, dict[str, int]]:
    """How many stored values each key id seals, per ``table.column``."""
    usage: dict[str, dict[str, int]] = {}
    for spec in encrypted_columns():
        for name in spec.sealed:
            column: sa.ColumnClause[str] = sa.column(name, sa.Text())
            kid = sa.func.substr(column, 5, 8)
            rows = session.execute(
                sa.select(kid, sa.func.count())
                .select_from(sa.table(spec.table, column))
                .where(column.is_not(None))
                .group_by(kid)
            ).all()
            for key, count in rows:
                usage.setdefault(str(key), {})[f"{spec.table}.{name}"] = int(count)
    return usage


def rotate(
    session: Session,
    *,
    ring: crypto.KeyRing,
    key_file: Path,
    new_key: bytes | None = None,
    keep_old: bool = False,
) -> RotationReport:
    """Rotate to a new key: key file first, then one transaction, then drop the old keys.

    Args:
        session: the session to work in; its transaction is committed (or rolled back).
        ring: the key ring in use now (every key some value may be sealed with).
        key_file: where the keys live (the file ``MEDCODER_KEY_FILE`` names, or a new one).
        new_key: the new key (default: 32 random bytes).
        keep_old: leave the old keys in the file, for reading (backups made before the rotation).

    Raises:
        crypto.EncryptionError: a value does not decrypt with any key of the ring (nothing is
            changed in the database; the key file keeps old and new keys).
    """
    key = new_key or crypto.generate_key()
    old_keys = [ring.current_key, *(k for kid, k in ring.keys.items() if kid != ring.current_id)]
    rotating = crypto.KeyRing.of([key, *old_keys], source=str(key_file))
    crypto.write_key_file(key_file, [key, *old_keys])
    try:
        report = reencrypt(session, rotating)
        left = stale_values(session, rotating.current_id)
        if left:
            raise crypto.EncryptionError(
                "rotation left values under old keys: "
                + ", ".join(f"{k} ({n})" for k, n in sorted(left.items()))
            )
        audit.record(
            session,
            "cli",
            "keys.rotate",
            "database",
            detail={"new_key_id": rotating.current_id, "resealed": sum(report.resealed.values())},
        )
        session.commit()
    except BaseException:
        session.rollback()
        raise
    final = [key, *old_keys] if keep_old else [key]
    crypto.write_key_file(key_file, final)
    crypto.use_keyring(crypto.KeyRing.of(final, source=str(key_file)))
    return RotationReport(
        report.new_key_id,
        report.old_key_ids,
        report.resealed,
        report.digests,
        key_file=str(key_file),
        old_keys_kept=keep_old,
    )
