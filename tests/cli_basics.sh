# SPDX-License-Identifier: MIT
# The dispatcher: --help, --version, unknown commands, exit codes.
. "$VC_SOURCE_DIR/tests/lib.sh"
vc --help | grep -q "Commands:" || fail "--help lists no commands"
vc --version | grep -Eq '^vcompose [0-9]+\.[0-9]+' || fail "--version"
expect_exit 2 "unknown command 'frobnicate'" frobnicate
expect_exit 2 "Usage: vcompose" 
echo ok
