#!/usr/bin/env bash
# SmbRoot build entry point.
#   ./build.sh [--kernel VERSION] [--credentials FILE] [--nic NAME,...] [--filesystem NAME,...] [--module NAME,...]
#       publish the NativeAOT /init and assemble out/initramfs.img (the last line printed is its path);
#       also the administrator's tool, out/admin/smbroot-admin (status, publish, rollback, release, gc, layer, credentials, initramfs, boot-entry: --help);
#       --nic and --filesystem carry only those NIC drivers and root filesystems (dotnet run --project src/SmbRoot.Mkinitramfs -- --help)
#   ./build.sh demo    boot a QEMU machine from a private Samba share on this host
#   ./build.sh test    unit tests, then integration tests that boot QEMU against a real smbd
#   ./build.sh bench [storm|io [BOOTS]|peer [BOOTS]|kexec [BOOTS]|failover [RUNS]|dfs [RUNS]|cost|memory]  the figures in README.md:
#                                     sizes, boot times, I/O, memory, storms, failovers, the server's cost; storm, io (default
#                                     3 boots), peer (against the script, default 5 boots each), kexec (against a reboot,
#                                     default 3), failover (a CTDB node dies under a writing machine, default 5 runs), dfs (a
#                                     DFS target's server dies under a reading machine, default 5 runs), cost
#                                     (smbd's counters per boot) or memory (the smallest guest): only that part; peer, storm
#                                     and failover also draw out/bench/boot-steps.svg, storm.svg, failover.svg
#   ./build.sh deb     out/smbroot_VERSION_amd64.deb: the init, smbroot-mkinitramfs with a kernel hook, smbroot-admin, man pages
#   ./build.sh fuzz [N [TARGET...]]  every parser of SmbRoot.Core (or those named) with N mutated inputs (default 10^6), and N/100 seeds
#                                     of each world of the fencing simulation (target fencing-simulation); fails on any crash or broken seed
# Each installs what it needs (apt-get, dotnet restore) on a Debian machine.
set -euo pipefail
cd "$(dirname "$0")"

BUILD_PACKAGES=(clang lld zlib1g-dev linux-image-amd64 xz-utils zstd e2fsprogs)
LAB_PACKAGES=(linux-libc-dev libc6-dev iproute2 tcpdump debootstrap dnsmasq-base qemu-system-x86 samba smbclient xfsprogs e2fsprogs btrfs-progs busybox-static socat lintian ctdb ethtool)

need_root() {
    if [ "$(id -u)" != 0 ]; then
        echo "build.sh: $1 needs root (apt-get, loop devices, smbd on a private port); run it with sudo" >&2
        exit 1
    fi
}

install_packages() {
    local missing=()
    for p in "$@"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
    [ ${#missing[@]} -eq 0 ] && return 0
    need_root "installing ${missing[*]}"
    echo "build.sh: installing ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

require_dotnet() {
    if ! command -v dotnet >/dev/null; then
        echo "build.sh: the .NET SDK is not installed; install the version global.json names (10.0) and run again" >&2
        exit 1
    fi
}

newest_kernel() {
    local version
    for version in $(ls /lib/modules 2>/dev/null | sort -V -r); do
        if [ -e "/boot/vmlinuz-$version" ]; then echo "$version"; return 0; fi
    done
    echo "build.sh: no kernel with both /boot/vmlinuz-VERSION and /lib/modules/VERSION" >&2
    return 1
}

build_initramfs() {
    local kernel="" args=()
    while [ $# -gt 0 ]; do
        case "$1" in
            --kernel) kernel="$2"; shift 2 ;;
            --credentials|--nic|--filesystem|--module) args+=("$1" "$2"); shift 2 ;;
            *) echo "build.sh: unknown option $1 (see the top of build.sh)" >&2; exit 2 ;;
        esac
    done
    install_packages "${BUILD_PACKAGES[@]}"
    require_dotnet
    [ -n "$kernel" ] || kernel=$(newest_kernel)
    [ -d "/lib/modules/$kernel" ] || { echo "build.sh: no /lib/modules/$kernel" >&2; exit 1; }
    # zstd when the kernel can unpack it (init/Kconfig: RD_ZSTD): a fifth smaller than gzip and
    # unpacked in a fraction of xz's time; xz (RD_XZ), the smallest, next; gzip otherwise.
    local compression=gzip config="/boot/config-$kernel"
    if [ -f "$config" ] && grep -q '^CONFIG_RD_ZSTD=y' "$config"; then
        compression=zstd
    elif [ -f "$config" ] && grep -q '^CONFIG_RD_XZ=y' "$config"; then
        compression=xz
    elif [ -f "$config" ] && ! grep -q '^CONFIG_RD_GZIP=y' "$config"; then
        echo "build.sh: kernel $kernel can unpack neither a zstd, an xz nor a gzip initramfs (CONFIG_RD_ZSTD, CONFIG_RD_XZ, CONFIG_RD_GZIP in $config)" >&2
        exit 1
    fi
    echo "build.sh: publishing the NativeAOT init" >&2
    dotnet publish src/SmbRoot -c Release -o out/bin --nologo -v quiet >&2
    echo "build.sh: assembling the initramfs for kernel $kernel" >&2
    dotnet run --project src/SmbRoot.Mkinitramfs -c Release -- \
        --init out/bin/smbroot --modules "/lib/modules/$kernel" --layout initramfs-layout \
        --output out/initramfs.img --compression "$compression" "${args[@]}" >&2
    echo "$kernel" > out/kernel-version
    echo "build.sh: publishing the administrator's tool, out/admin/smbroot-admin" >&2
    dotnet publish src/SmbRoot.Admin -c Release -o out/admin --nologo -v quiet >&2
    echo "out/initramfs.img"
}

VERSION=0.1.0

# A man page made from a program's --help, so that the two say the same.
man_page() { # NAME SECTION TITLE COMMAND...
    local name=$1 section=$2 title=$3
    shift 3
    printf '.TH %s %s "" "smbroot %s" "SmbRoot"\n.SH NAME\n%s \\- %s\n.SH DESCRIPTION\n.nf\n' \
        "$(echo "$name" | tr a-z A-Z)" "$section" "$VERSION" "$name" "$title"
    "$@" | sed -e 's/\\/\\e/g' -e 's/^\./\\\&./' -e "s/^'/\\\\\&'/"
    printf '.fi\n.SH SEE ALSO\nsmbroot.cmdline(7), smbroot-mkinitramfs(8), smbroot-admin(8); README.md of the sources\n'
}

build_deb() {
    local root=out/deb/root
    rm -rf out/deb && mkdir -p "$root/DEBIAN"
    echo "build.sh: publishing smbroot-admin and smbroot-mkinitramfs (NativeAOT)" >&2
    dotnet publish src/SmbRoot.Admin -c Release -p:PublishAot=true -o out/deb/admin --nologo -v quiet >&2
    dotnet publish src/SmbRoot.Mkinitramfs -c Release -p:PublishAot=true -o out/deb/mkinitramfs --nologo -v quiet >&2
    install -D -m 755 out/bin/smbroot "$root/usr/lib/smbroot/init"
    install -D -m 755 out/deb/admin/smbroot-admin "$root/usr/sbin/smbroot-admin"
    install -D -m 755 out/deb/mkinitramfs/smbroot-mkinitramfs "$root/usr/sbin/smbroot-mkinitramfs"
    install -D -m 644 src/debian/mkinitramfs.conf "$root/etc/smbroot/mkinitramfs.conf"
    install -D -m 755 src/debian/postinst.d-zz-smbroot "$root/etc/kernel/postinst.d/zz-smbroot"
    install -D -m 755 src/debian/postrm.d-zz-smbroot "$root/etc/kernel/postrm.d/zz-smbroot"
    mkdir -p "$root/usr/share/man/man7" "$root/usr/share/man/man8" "$root/usr/share/doc/smbroot"
    man_page smbroot-admin 8 "the administrator's tool for SmbRoot's images, holders and layers" out/deb/admin/smbroot-admin --help \
        | gzip -9n > "$root/usr/share/man/man8/smbroot-admin.8.gz"
    man_page smbroot-mkinitramfs 8 "build SmbRoot's initramfs" out/deb/mkinitramfs/smbroot-mkinitramfs --help \
        | gzip -9n > "$root/usr/share/man/man8/smbroot-mkinitramfs.8.gz"
    man_page smbroot.cmdline 7 "the kernel command line SmbRoot reads" out/bin/smbroot --help \
        | gzip -9n > "$root/usr/share/man/man7/smbroot.cmdline.7.gz"
    install -m 644 src/debian/copyright "$root/usr/share/doc/smbroot/copyright"
    install -D -m 644 src/debian/lintian-overrides "$root/usr/share/lintian/overrides/smbroot"
    sed "s/@VERSION@/$VERSION/" src/debian/changelog | gzip -9n > "$root/usr/share/doc/smbroot/changelog.gz"
    install -m 644 src/debian/conffiles "$root/DEBIAN/conffiles"
    sed -e "s/@VERSION@/$VERSION/" -e "s/@SIZE@/$(du -sk --exclude=DEBIAN "$root" | cut -f1)/" src/debian/control > "$root/DEBIAN/control"
    (cd "$root" && find . -path ./DEBIAN -prune -o -type f -printf '%P\0' | sort -z | xargs -0 md5sum) > "$root/DEBIAN/md5sums"
    dpkg-deb --root-owner-group -Zxz --build "$root" "out/smbroot_${VERSION}_amd64.deb" >&2
    echo "out/smbroot_${VERSION}_amd64.deb"
}

case "${1:-}" in
    deb)
        install_packages "${BUILD_PACKAGES[@]}"
        build_initramfs >/dev/null
        build_deb
        ;;
    demo)
        need_root "the demo"
        install_packages "${LAB_PACKAGES[@]}"
        build_initramfs >/dev/null
        dotnet run --project tests/SmbRoot.Lab -c Release -- demo
        ;;
    test)
        need_root "the tests"
        install_packages "${LAB_PACKAGES[@]}"
        build_initramfs >/dev/null
        build_deb >/dev/null # for the package test
        dotnet test tests/SmbRoot.Tests -c Release --nologo -v quiet
        if ! dotnet test tests/SmbRoot.IntegrationTests -c Release --nologo -v quiet --logger "console;verbosity=normal"; then
            # The server's side of a failure: the end of each lab's smbd log (log level 2).
            for log in /tmp/smbroot-integration*/samba/smbd.log; do
                [ -f "$log" ] && { echo "== the last lines of $log"; tail -n 200 "$log"; }
            done
            exit 1
        fi
        ;;
    bench)
        need_root "the benchmark"
        install_packages "${LAB_PACKAGES[@]}"
        build_initramfs >/dev/null
        shift
        dotnet run --project tests/SmbRoot.Lab -c Release -- bench "$@"
        ;;
    fuzz)
        # Every parser of SmbRoot.Core (or the targets named), 10^6 mutated inputs each (or the number given), and the fencing
        # simulation's seeds; exits 1 on any crash or broken seed.
        shift
        dotnet run --project tests/SmbRoot.Lab -c Release -- fuzz "$@"
        ;;
    -h|--help)
        sed -n '2,/^# Each installs/p' "$0" | sed 's/^# \{0,1\}//'
        ;;
    *)
        build_initramfs "$@"
        ;;
esac
