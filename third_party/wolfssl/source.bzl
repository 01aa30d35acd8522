"""@wolfssl: the wolfSSL source tree that SOURCE pins, as unpacked by scripts/fetch-wolfssl.

A new_local_repository over build/wolfssl/<version> that first checks the tree is the verified
one: a missing or half-unpacked tree stops the build with one message saying what to run,
instead of a compiler error about a missing header.
"""

def _pinned(ctx):
    values = {}
    for line in ctx.read(ctx.attr.pin).splitlines():
        line = line.strip()
        if line and not line.startswith("#") and "=" in line:
            key, value = line.split("=", 1)
            values[key] = value
    return values

def _wolfssl_source_impl(ctx):
    pin = _pinned(ctx)
    version = pin["WOLFSSL_DEBIAN_VERSION"]
    workspace_root = ctx.path(ctx.attr.pin).dirname.dirname.dirname
    tree = workspace_root.get_child("build").get_child("wolfssl").get_child(version)
    stamp = tree.get_child(".handshaked-verified")
    if not stamp.exists or ctx.read(stamp).strip() != pin["WOLFSSL_ORIG_SHA256"]:
        fail(("wolfssl %s (Debian %s): the source tree build/wolfssl/%s is missing or not " +
              "verified; run scripts/fetch-wolfssl (scripts/install-host-deps runs it), then " +
              "build again") % (version, pin["WOLFSSL_DEBIAN_SUITE"], version))
    for entry in tree.readdir():
        if entry.basename not in ("BUILD", "BUILD.bazel", "WORKSPACE", "WORKSPACE.bazel"):
            ctx.symlink(entry, entry.basename)
    ctx.symlink(ctx.attr.build_file, "BUILD.bazel")
    ctx.file("WORKSPACE", "workspace(name = \"wolfssl\")\n")
    ctx.file("version.bzl", "WOLFSSL_DEBIAN_VERSION = \"%s\"\n" % version)

wolfssl_source = repository_rule(
    implementation = _wolfssl_source_impl,
    attrs = {
        "pin": attr.label(allow_single_file = True),
        "build_file": attr.label(allow_single_file = True),
    },
    local = True,
)
