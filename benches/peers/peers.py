#!/usr/bin/env python3
"""rolec beside its peers: one layout of roles, memberships and grants at several sizes, applied
from empty and planned again with nothing to do, by psql (the minimal script, the floor), rolec,
pgroles and ldap2pg, each on a fresh throwaway PostgreSQL cluster.

    benches/peers/peers.py [--sizes 1000,5000] [--grants] [--repeat 3]

A peer that is not installed is skipped with a message (pgroles: `cargo install pgroles-cli`;
ldap2pg: `pip install ldap2pg psycopg2-binary`, or `--ldap2pg PATH`). Every run is checked:
the roles, memberships and table grants are counted afterwards, so a failure is never timed.
Prints a Markdown table of medians (wall seconds, and the CPU seconds of the tool's process).
Standard library only; needs PostgreSQL's server binaries (`--pg-bin`, `ROLEC_PG_BIN`, or
/usr/lib/postgresql/15/bin) and psql.
"""

import argparse
import os
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PREFIX = "bench_"
TABLES = 20


# ---------------------------------------------------------------- the layout

class Layout:
    """`size` roles: a tenth are groups (NOLOGIN), the rest users, each user a member of one
    or two groups (1.6 memberships per role in all, as pgroles' own measure); with grants,
    each group reads two tables of schema `app` and writes one."""

    def __init__(self, size, grants):
        self.groups = [f"{PREFIX}g{i}" for i in range(max(1, size // 10))]
        self.users = [f"{PREFIX}u{i}" for i in range(size - len(self.groups))]
        g = len(self.groups)
        self.memberships = []  # (group, user)
        for i, u in enumerate(self.users):
            self.memberships.append((self.groups[i % g], u))
            if i % 10 < 8 and g > 1:
                self.memberships.append((self.groups[(i * 7 + 1) % g], u))
        self.memberships = sorted(set(self.memberships))
        self.grants = []  # (group, privilege, table)
        if grants:
            for i, grp in enumerate(self.groups):
                self.grants.append((grp, "SELECT", f"t{i % TABLES}"))
                self.grants.append((grp, "SELECT", f"t{(i + 1) % TABLES}"))
                self.grants.append((grp, "INSERT", f"t{(i + 2) % TABLES}"))

    def parents(self):
        of = {}
        for grp, user in self.memberships:
            of.setdefault(user, []).append(grp)
        return of

    def grants_of(self):
        of = {}
        for grp, priv, table in self.grants:
            of.setdefault(grp, []).append((priv, table))
        return of

    def setup_sql(self):
        return "CREATE SCHEMA app;\n" + "".join(f"CREATE TABLE app.t{i} (id int);\n" for i in range(TABLES))

    def psql_script(self):
        out = [f'CREATE ROLE "{r}" NOLOGIN;' for r in self.groups]
        out += [f'CREATE ROLE "{r}" LOGIN;' for r in self.users]
        out += [f'GRANT "{g}" TO "{u}";' for g, u in self.memberships]
        if self.grants:
            out += [f'GRANT USAGE ON SCHEMA app TO "{g}";' for g in self.groups]
        out += [f'GRANT {p} ON TABLE app.{t} TO "{g}";' for g, p, t in self.grants]
        return "\n".join(out) + "\n"

    def rolec_policy(self, directory):
        grants = self.grants_of()
        # The schema exists already (made by the setup), owned by the bootstrap superuser.
        lines = ["external role postgres", "schema app { owner postgres }"] if self.grants else []
        for grp in self.groups:
            body = []
            if self.grants:
                body.append("  grant usage on schema app")
            body += [f"  grant {p.lower()} on table app.{t}" for p, t in grants.get(grp, [])]
            lines.append(f"role {grp} {{\n" + "\n".join(body) + ("\n" if body else "") + "}")
        parents = self.parents()
        for u in self.users:
            of = parents.get(u, [])
            lines.append(f"user {u} {{" + (f" member of {', '.join(of)} " if of else "") + "}")
        directory.mkdir(parents=True, exist_ok=True)
        (directory / "policy.role").write_text("\n".join(lines) + "\n")
        return directory

    def pgroles_manifest(self, path):
        grants = self.grants_of()
        out = ["roles:"]
        out += [f"  - name: {r}\n    login: false" for r in self.groups]
        out += [f"  - name: {r}\n    login: true" for r in self.users]
        if self.grants:
            out.append("grants:")
            for grp in self.groups:
                out.append(f"  - role: {grp}\n    privileges: [USAGE]\n    object: {{ type: schema, name: app }}")
                for p, t in grants.get(grp, []):
                    out.append(f"  - role: {grp}\n    privileges: [{p}]\n    object: {{ type: table, schema: app, name: {t} }}")
        members = {}
        for grp, user in self.memberships:
            members.setdefault(grp, []).append(user)
        out.append("memberships:")
        for grp in self.groups:
            if grp in members:
                out.append(f"  - role: {grp}\n    members:")
                out += [f"      - name: {u}" for u in members[grp]]
        path.write_text("\n".join(out) + "\n")
        return path

    def ldap2pg_config(self, path):
        out = ["version: 5", "sync_map:"]
        out.append("- role:\n    names:")
        out += [f"    - {r}" for r in self.groups]
        out.append("    options: NOLOGIN")
        parents = self.parents()
        for u in self.users:
            out.append(f"- role:\n    name: {u}\n    options: LOGIN")
            if parents.get(u):
                out.append("    parent: [" + ", ".join(parents[u]) + "]")
        path.write_text("\n".join(out) + "\n")
        return path


# ---------------------------------------------------------------- clusters

def as_server_user(cmd):
    """`initdb` and the server refuse to run as root: then they run as the `postgres` OS user."""
    return ["runuser", "-u", "postgres", "--", *cmd] if os.geteuid() == 0 else cmd


def owned(path):
    if os.geteuid() == 0:
        shutil.chown(path, "postgres", "postgres")
        for dirpath, dirnames, filenames in os.walk(path):
            for name in dirnames + filenames:
                shutil.chown(os.path.join(dirpath, name), "postgres", "postgres")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Cluster:
    """A throwaway cluster copied from a template data directory, on a TCP port of 127.0.0.1."""

    def __init__(self, pg_bin, template, work):
        self.pg_bin, self.port = pg_bin, free_port()
        self.data = Path(tempfile.mkdtemp(dir=work, prefix="data-"))
        shutil.rmtree(self.data)
        shutil.copytree(template, self.data, symlinks=True)
        os.chmod(self.data, 0o700)
        owned(self.data)
        subprocess.run(as_server_user(
            [f"{pg_bin}/pg_ctl", "-D", str(self.data), "-w", "-l", str(self.data / "log"), "start",
             "-o", f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.data}"]),
            check=True, stdout=subprocess.DEVNULL)
        self.url = f"postgresql://postgres@127.0.0.1:{self.port}/postgres"
        self.env = dict(os.environ, PGHOST="127.0.0.1", PGPORT=str(self.port), PGUSER="postgres",
                        PGDATABASE="postgres", DATABASE_URL=self.url)

    def psql(self, sql):
        return subprocess.run(["psql", "-X", "-qAt", "-v", "ON_ERROR_STOP=1", "-c", sql], env=self.env,
                              check=True, capture_output=True, text=True).stdout.strip()

    def counts(self):
        return self.psql(
            f"SELECT (SELECT count(*) FROM pg_roles WHERE rolname LIKE '{PREFIX}%') || ' ' || "
            f"(SELECT count(*) FROM pg_auth_members m JOIN pg_roles r ON r.oid = m.roleid "
            f"WHERE r.rolname LIKE '{PREFIX}%') || ' ' || "
            f"(SELECT count(*) FROM pg_class c, aclexplode(c.relacl) a JOIN pg_roles r ON r.oid = a.grantee "
            f"WHERE c.relnamespace = 'app'::regnamespace AND r.rolname LIKE '{PREFIX}%')")

    def stop(self):
        subprocess.run(as_server_user([f"{self.pg_bin}/pg_ctl", "-D", str(self.data), "-m", "immediate", "stop"]),
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        shutil.rmtree(self.data, ignore_errors=True)


def timed(cmd, env, ok=(0,)):
    """Wall and CPU seconds of one run of `cmd` (its process and children), or an error."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    p = subprocess.run(cmd, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - t
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if p.returncode not in ok:
        raise RuntimeError(f"{cmd[0]} exited {p.returncode}: {(p.stderr or p.stdout).strip()[-800:]}")
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


# ---------------------------------------------------------------- the tools

def tools(args, files):
    """(name, apply command, no-op command or None, why skipped or None) per tool."""
    rolec = args.rolec or str(ROOT / "target/release/rolec")
    pgroles = args.pgroles or shutil.which("pgroles")
    ldap2pg = args.ldap2pg or shutil.which("ldap2pg")
    out = [("psql -1 -f", lambda c: ["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-1", "-f", str(files["psql"])],
            None, None)]
    out.append(("rolec", lambda c: [rolec, "apply", "--db", c.url, str(files["rolec"])],
                lambda c: [rolec, "plan", "--db", c.url, str(files["rolec"])],
                None if Path(rolec).exists() else f"{rolec} not built (cargo build --release)"))
    out.append(("pgroles", lambda c: [pgroles, "apply", "-f", str(files["pgroles"]), "--database-url", c.url],
                lambda c: [pgroles, "diff", "-f", str(files["pgroles"]), "--database-url", c.url],
                None if pgroles else "not installed (cargo install pgroles-cli)"))
    out.append(("ldap2pg", lambda c: [ldap2pg, "--config", str(files["ldap2pg"]), "--real", "--quiet"],
                lambda c: [ldap2pg, "--config", str(files["ldap2pg"]), "--check", "--quiet"],
                None if ldap2pg else "not installed (pip install ldap2pg psycopg2-binary)"))
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", default="1000,5000", help="role counts, comma-separated (default 1000,5000)")
    ap.add_argument("--grants", action="store_true", help="also grant on 20 tables (3 grants per group)")
    ap.add_argument("--repeat", type=int, default=3, help="runs per measure; the median is shown (default 3)")
    ap.add_argument("--pg-bin", default=os.environ.get("ROLEC_PG_BIN", "/usr/lib/postgresql/15/bin"))
    ap.add_argument("--rolec"), ap.add_argument("--pgroles"), ap.add_argument("--ldap2pg")
    args = ap.parse_args()

    work = Path(tempfile.mkdtemp(prefix="rolec-peers-"))
    template = work / "template"
    os.chmod(work, 0o755)
    template.mkdir()
    owned(template)
    subprocess.run(as_server_user([f"{args.pg_bin}/initdb", "-D", str(template), "-A", "trust", "-U", "postgres",
                                   "--no-sync"]), check=True, stdout=subprocess.DEVNULL)
    rows, notes = [], []
    try:
        for size in [int(s) for s in args.sizes.split(",")]:
            layout = Layout(size, args.grants)
            expected = f"{size} {len(layout.memberships)} {len(layout.grants)}"
            d = work / f"layout-{size}"
            d.mkdir()
            files = {"psql": d / "minimal.sql", "rolec": layout.rolec_policy(d / "rolec"),
                     "pgroles": layout.pgroles_manifest(d / "pgroles.yaml"),
                     "ldap2pg": layout.ldap2pg_config(d / "ldap2pg.yml")}
            files["psql"].write_text(layout.psql_script())
            for name, apply_cmd, noop_cmd, skipped in tools(args, files):
                if skipped:
                    notes.append(f"{name} skipped: {skipped}")
                    continue
                if name == "ldap2pg" and layout.grants:
                    notes.append(f"{name} at {size}: object grants not configured for it; skipped")
                    continue
                applies, noops, error = [], [], None
                for _ in range(args.repeat):
                    cluster = Cluster(args.pg_bin, template, work)
                    try:
                        cluster.psql(layout.setup_sql())
                        applies.append(timed(apply_cmd(cluster), cluster.env))
                        got = cluster.counts()
                        if got != expected:
                            raise RuntimeError(f"did not converge: roles, memberships, grants = {got}, "
                                               f"expected {expected}")
                        if noop_cmd:
                            noops.append(timed(noop_cmd(cluster), cluster.env))
                    except RuntimeError as e:
                        error = str(e).splitlines()[0][:300]
                        break
                    finally:
                        cluster.stop()
                if error:
                    notes.append(f"{name} at {size}: {error}")
                    rows.append((size, name, None, None))
                else:
                    rows.append((size, name, applies, noops))
                print(f"  {size} {name}: done", file=sys.stderr)
    finally:
        shutil.rmtree(work, ignore_errors=True)

    floor = {size: statistics.median(w for w, _ in a) for size, name, a, _ in rows if name.startswith("psql") and a}
    print(f"\nroles, memberships{' and table grants' if args.grants else ''}; medians of {args.repeat}; "
          f"PostgreSQL from {args.pg_bin}; {os.cpu_count()} CPUs\n")
    print("| roles | tool | apply from empty: wall s (CPU s) | × psql | no-op plan: wall s (CPU s) |")
    print("|---:|---|---:|---:|---:|")
    for size, name, applies, noops in rows:
        if applies is None:
            print(f"| {size} | {name} | failed | | |")
            continue
        wall, cpu = statistics.median(w for w, _ in applies), statistics.median(c for _, c in applies)
        ratio = f"{wall / floor[size]:.2f}" if floor.get(size) else ""
        noop = "—"
        if noops:
            noop = f"{statistics.median(w for w, _ in noops):.3f} ({statistics.median(c for _, c in noops):.3f})"
        print(f"| {size} | {name} | {wall:.3f} ({cpu:.3f}) | {ratio} | {noop} |")
    for n in notes:
        print(f"\n- {n}", end="")
    print()


if __name__ == "__main__":
    main()
