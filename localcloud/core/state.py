"""The state core of the local cloud: everything it knows, and no server.

``CloudState`` holds the accounts, AccessKeys and STS tokens, one backend per (product, account,
region) created lazily and seeded from a YAML/dict "world" (moto's ``backends`` shape), the movable
clock, the fault rules, the request log, and the data the other front ends serve: DNS zone,
registry challenges, chat sinks and the ActionTrail events. The servers in ``localcloud.servers``
read and change this state; nothing here imports them. ``localcloud.cloud.LocalCloud`` adds
starting and stopping the servers on top.
"""

from __future__ import annotations

import importlib
import pkgutil
import secrets
import threading
import uuid
from pathlib import Path
from typing import Any

import yaml

from localcloud.chat import ChatSinks
from localcloud.clock import Clock
from localcloud.core.dns_zone import DnsZone
from localcloud.core.faults import FaultInjector, FaultRule
from localcloud.core.identity import AccessKey, Account, Principal, StsToken, role_id
from localcloud.core.recorder import RequestLog
from localcloud.core.trail import ActionTrail
from localcloud.errors import CloudError
from localcloud.registry import RegistryChallenges
from localcloud.service import Service

DEFAULT_WORLD = Path(__file__).resolve().parent.parent / "worlds" / "demo.yaml"


def product_modules() -> list[str]:
    """Every product module (``localcloud/products/<name>.py``, each defining ``SERVICE``), loaded by name."""
    import localcloud.products

    return sorted(m.name for m in pkgutil.iter_modules(localcloud.products.__path__) if not m.name.startswith("_"))


def read_world_file(path: str | Path | None) -> dict[str, Any]:
    """A world mapping from a YAML file (the demo world when ``path`` is None); ``ValueError`` naming the file."""
    path = Path(path) if path else DEFAULT_WORLD
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise ValueError(f"{path}: not valid YAML: {exc}") from None
    if not isinstance(data, dict):
        raise ValueError(f"{path}: a world file must be a mapping at the top level")
    return data


class CloudState:
    """Accounts, credentials, per-account/region backends, clock, faults, request log and served data."""

    def __init__(self, world: dict[str, Any] | None = None, *, seed: int = 0) -> None:
        self.clock = Clock()
        self.requests = RequestLog()
        self.faults = FaultInjector(seed)
        self.lock = threading.RLock()
        self.services: dict[tuple[str, str], Service] = {}
        self.services_by_product: dict[str, Service] = {}
        self.accounts: dict[str, Account] = {}
        self.access_keys: dict[str, AccessKey] = {}
        self.sts_tokens: dict[str, StsToken] = {}
        self.world: dict[str, Any] = {}
        self._backends: dict[tuple[str, str, str], Any] = {}
        for name in product_modules():
            module = importlib.import_module(f"localcloud.products.{name}")
            self.register(module.SERVICE)
        self.load_world(world or {})

    def register(self, service: Service) -> None:
        """Make a product's actions answerable."""
        self.services[(service.version, service.product)] = service
        self.services_by_product[service.product] = service

    # -- world ---------------------------------------------------------------------------------
    def load_world(self, world: dict[str, Any]) -> None:
        """Replace all state with the given world (accounts, keys, product seeds, faults)."""
        with self.lock:
            self.world = world
            self.dns = DnsZone(world.get("dns"))
            self.registry = RegistryChallenges(world.get("registry"))
            self.trail = ActionTrail(self)
            self.chat = ChatSinks(world.get("chat"), self.clock)
            self.accounts.clear()
            self.access_keys.clear()
            self.sts_tokens.clear()
            self._backends.clear()
            self.faults.clear()
            accounts = world.get("accounts") or {}
            if not isinstance(accounts, dict):
                raise ValueError("world: 'accounts' must map account ids to their contents")
            for account_id, body in accounts.items():
                self._load_account(str(account_id), body or {})
            for service in self.services_by_product.values():
                if service.check_world is not None:
                    service.check_world(self)
            for index, rule in enumerate(world.get("faults") or []):
                try:
                    self.faults.add(FaultRule.from_dict(rule))
                except (TypeError, ValueError) as exc:
                    raise ValueError(f"world: faults[{index}]: {exc}") from None

    def _load_account(self, account_id: str, body: dict[str, Any]) -> None:
        where = f"world: accounts.{account_id}"
        account = Account(id=account_id, default_region=body.get("default_region", "cn-hangzhou"))
        for index, key in enumerate(body.get("access_keys") or []):
            try:
                self.add_access_key(AccessKey(id=key["id"], secret=key["secret"], account_id=account_id,
                                              user_name=key.get("user")))
            except KeyError as exc:
                raise ValueError(f"{where}.access_keys[{index}]: missing {exc}") from None
        for product, data in (body.get("global") or {}).items():
            account.seeds[product] = data
        for region, products in (body.get("regions") or {}).items():
            account.region_seeds[region] = dict(products or {})
        self.accounts[account_id] = account
        # Seed eagerly so world errors surface at load time, not at the first request.
        for product in account.seeds:
            self.backend(product, account_id, None)
        for region, products in account.region_seeds.items():
            for product in products:
                self.backend(product, account_id, region)

    # -- credentials --------------------------------------------------------------------------
    def add_access_key(self, key: AccessKey) -> AccessKey:
        """Register a long-term AccessKey (root or RAM user)."""
        with self.lock:
            self.access_keys[key.id] = key
        return key

    def new_access_key(self, account_id: str, user_name: str | None) -> AccessKey:
        """Create a fresh AccessKey pair, as ``CreateAccessKey`` would."""
        key = AccessKey(id="LTAI" + secrets.token_hex(10)[:20], secret=secrets.token_urlsafe(22),
                        account_id=account_id, user_name=user_name, create_date=self.clock.iso())
        return self.add_access_key(key)

    def issue_sts_token(self, account_id: str, role_arn: str, session_name: str, duration: int,
                        session_policy: str | None = None) -> StsToken:
        """Temporary credentials for a role session (the caller has checked who may have them)."""
        role_name = role_arn.rsplit("/", 1)[-1]
        token = StsToken(access_key_id="STS." + secrets.token_hex(12), secret=secrets.token_urlsafe(22),
                         token="CAIS" + secrets.token_urlsafe(48), account_id=account_id, role_arn=role_arn,
                         role_name=role_name, role_id=role_id(role_arn), session_name=session_name,
                         expires_at=self.clock.now() + duration, session_policy=session_policy)
        with self.lock:
            self.sts_tokens[token.access_key_id] = token
        return token

    def authenticate(self, access_key_id: str, security_token: str | None) -> tuple[Principal, str]:
        """The principal behind a key and the secret to check its signature with."""
        if access_key_id.startswith("STS."):
            sts = self.sts_tokens.get(access_key_id)
            if sts is None:
                raise CloudError("InvalidAccessKeyId.NotFound", "Specified access key is not found.", 404)
            if not security_token:
                raise CloudError("MissingSecurityToken", "SecurityToken is mandatory for this action.", 400)
            if security_token != sts.token:
                raise CloudError("InvalidSecurityToken.MismatchWithAccessKey",
                                 "The Security Token does not match the AccessKeyId.", 400)
            if self.clock.now() >= sts.expires_at:
                raise CloudError("InvalidSecurityToken.Expired", "Specified SecurityToken is expired.", 400)
            return Principal(sts.account_id, access_key_id, "assumed-role", token=sts), sts.secret
        key = self.access_keys.get(access_key_id)
        if key is None:
            raise CloudError("InvalidAccessKeyId.NotFound", "Specified access key is not found.", 404)
        if key.status != "Active":
            raise CloudError("InvalidAccessKeyId.Inactive", "Specified access key is disabled.", 400)
        if security_token:
            raise CloudError("InvalidSecurityToken.MismatchWithAccessKey",
                             "The Security Token does not match the AccessKeyId.", 400)
        kind = "ram-user" if key.user_name else "root"
        return Principal(key.account_id, key.id, kind, user_name=key.user_name), key.secret

    # -- backends -----------------------------------------------------------------------------
    def backend(self, product: str, account_id: str, region: str | None) -> Any:
        """The state of ``product`` for an account (and region, for regional products)."""
        service = self.services_by_product.get(product)
        if service is None:
            raise ValueError(f"world: unknown product {product!r}; known: {sorted(self.services_by_product)}")
        key = (product, account_id, region if service.regional else "")
        with self.lock:
            backend = self._backends.get(key)
            if backend is None:
                account = self.accounts.get(account_id) or Account(id=account_id)
                seed = (account.region_seeds.get(region or "", {}).get(product) if service.regional
                        else account.seeds.get(product))
                backend = service.backend_cls(cloud=self, account_id=account_id, region=region or "")
                if seed:
                    where = f"world: accounts.{account_id}." + (f"regions.{region}.{product}" if service.regional
                                                                else f"global.{product}")
                    try:
                        backend.seed(seed)
                    except (KeyError, TypeError, ValueError) as exc:
                        raise ValueError(f"{where}: {exc}") from None
                self._backends[key] = backend
            return backend

    def regions_of(self, product: str, account_id: str) -> list[str]:
        """Regions of an account that hold state for a regional product."""
        account = self.accounts.get(account_id)
        regions = set(account.region_seeds) if account else set()
        with self.lock:
            regions |= {r for (p, a, r) in self._backends if p == product and a == account_id and r}
        return sorted(regions)

    def default_region(self, account_id: str) -> str:
        """The region used when a request names none."""
        account = self.accounts.get(account_id)
        return account.default_region if account else "cn-hangzhou"

    @staticmethod
    def new_request_id() -> str:
        """A request id in the cloud's format (uppercase UUID)."""
        return str(uuid.uuid4()).upper()

    # -- faults and time ----------------------------------------------------------------------
    def inject(self, **rule: Any) -> FaultRule:
        """Add a fault rule (see ``FaultRule``) and return it."""
        return self.faults.add(FaultRule.from_dict(rule))

    def advance(self, seconds: float) -> None:
        """Move the local cloud's clock forward."""
        self.clock.advance(seconds)

    def demo_credentials(self) -> dict[str, str]:
        """The first root AccessKey of the world (what the demo and explorers sign with)."""
        for key in self.access_keys.values():
            if key.user_name is None:
                return {"account_id": key.account_id, "access_key_id": key.id, "access_key_secret": key.secret,
                        "region": self.default_region(key.account_id)}
        return {}
