#!/usr/bin/env bash
# Runs every test of the workspace: unit, property, simulator-over-pseudo-terminal and doc tests.
# The pyfingerprint check runs when REKAM_PYTHON names a Python with pyfingerprint installed
# (.ci/run sets one up; see TESTING.md).
set -euo pipefail
cd "$(dirname "$0")/.."
export PROPTEST_RNG_SEED="${PROPTEST_RNG_SEED:-20261122}"
cargo test --workspace --locked "$@"
