# Release artefacts (see README, "Install"). Day-to-day building and testing is plain `swift build` / `swift test`.
.PHONY: release package test-release

# Build dist/ (binary, .deb) and test it in a clean Debian root (needs root).
release:
	scripts/release.sh
	scripts/test-release.sh

# Build dist/respcap and dist/respcap_<version>_amd64.deb only.
package:
	scripts/release.sh

# Test existing dist/ artefacts in a clean Debian root without Swift (debootstrap; needs root).
test-release:
	scripts/test-release.sh
