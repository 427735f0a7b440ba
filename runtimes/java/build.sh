#!/usr/bin/env bash
# Builds the java17 runtime beside this script, and does nothing when it is up to date:
#
#   classes/  the runtime client and Swiftlet's aws-lambda-java-core API, compiled from src/
#             (again only when a source file or the compiler changed);
#   jre/      a Java 17 runtime image made with jlink from the host's JDK, with its class data
#             sharing archive (again only when the host's JDK changed).
#
# Why an image of its own: inside a sandbox only /usr and a few files of /etc are visible, and
# Debian's JDK keeps its configuration (conf/security/java.security, ...) in /etc/java-17-openjdk,
# without which the JVM cannot load a class through a URLClassLoader. AWS, too, ships its own
# Java in the runtime (/var/lang). Each output is built beside its final place and moved there,
# so a running server never sees half of one.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$here"

# The host's JDK modules the image leaves out: tools for developers, not for functions.
excluded_modules='^(jdk\.hotspot\.agent|jdk\.jpackage|jdk\.jlink|jdk\.javadoc|jdk\.jshell|jdk\.jconsole'
excluded_modules+='|jdk\.jdeps|jdk\.jstatd|jdk\.jartool|jdk\.editpad|jdk\.incubator\..*|jdk\.internal\.le'
excluded_modules+='|jdk\.internal\.opt|jdk\.internal\.ed)$'

log() { printf 'runtimes/java: %s\n' "$*" >&2; }

# A JDK 17: $JAVA_HOME when it is one, else the Debian package's, else javac's on PATH.
find_jdk() {
    local candidate
    for candidate in "${JAVA_HOME:-}" /usr/lib/jvm/java-17-openjdk-* \
        "$(dirname "$(dirname "$(readlink -f "$(command -v javac || echo /nonexistent)")")")"; do
        if [ -n "$candidate" ] && [ -x "$candidate/bin/javac" ] && [ -x "$candidate/bin/jlink" ] \
            && grep -q '^JAVA_VERSION="17\.' "$candidate/release" 2>/dev/null; then
            echo "$candidate"
            return 0
        fi
    done
    log "no JDK 17 with javac and jlink found (set JAVA_HOME)"
    return 1
}

# A digest of everything an output depends on; the output is rebuilt when it changes.
digest_of_sources() {
    { "$jdk/bin/javac" -version 2>&1; sha256sum build.sh; find src -type f -name '*.java' -print0 | sort -z \
        | xargs -0 sha256sum; } \
        | sha256sum | cut -d' ' -f1
}

build_classes() {
    local wanted staging
    wanted="$(digest_of_sources)"
    if [ -f classes/.sources.sha256 ] && [ "$(cat classes/.sources.sha256)" = "$wanted" ]; then
        return 0
    fi
    log "compiling src/ into classes/"
    staging="$(mktemp -d "$here/.classes.XXXXXX")"
    # -XDstringConcat=inline: string concatenation as StringBuilder calls, as the JDK's own
    # classes are built, instead of invokedynamic call sites that each cost start-up time.
    find src -type f -name '*.java' -print0 | sort -z \
        | xargs -0 "$jdk/bin/javac" --release 17 -encoding UTF-8 -g -Xlint:all -Werror -XDstringConcat=inline \
            -d "$staging"
    echo "$wanted" >"$staging/.sources.sha256"
    chmod -R a+rX "$staging"
    rm -rf classes
    mv "$staging" classes
}

build_image() {
    local wanted staging modules
    # The JDK's release file and its modules' size and time stand for the JDK (hashing the
    # modules would take a second on every run).
    wanted="$({ sha256sum build.sh "$jdk/release"; stat -c '%s %Y' "$jdk/lib/modules"; } | sha256sum | cut -d' ' -f1)"
    if [ -x jre/bin/java ] && [ -f jre/.jdk.sha256 ] && [ "$(cat jre/.jdk.sha256)" = "$wanted" ]; then
        return 0
    fi
    log "making a Java 17 runtime image in jre/ (about half a minute)"
    modules="$("$jdk/bin/java" --list-modules | sed 's/@.*//' | grep -Ev "$excluded_modules" | paste -sd, -)"
    staging="$here/.jre.$$"
    rm -rf "$staging"
    # --strip-debug: as AWS's runtime, JDK frames in stack traces read "(Unknown Source)".
    "$jdk/bin/jlink" --add-modules "$modules" --strip-debug --no-header-files --no-man-pages \
        --output "$staging" 2> >(grep -v 'WARNING: Using incubator modules' >&2 || true)
    # AWS's runtime remembers a failed DNS lookup for 1 second, not the JDK's 10.
    sed -i 's/^networkaddress\.cache\.negative\.ttl=.*/networkaddress.cache.negative.ttl=1/' \
        "$staging/conf/security/java.security"
    grep -q '^networkaddress.cache.negative.ttl=1$' "$staging/conf/security/java.security"
    # The class data sharing archive of the JDK's classes: roughly halves the JVM's start.
    "$staging/bin/java" -Xshare:dump >/dev/null
    echo "$wanted" >"$staging/.jdk.sha256"
    chmod -R a+rX "$staging"
    rm -rf jre
    mv "$staging" jre
}

jdk="$(find_jdk)"
build_classes
build_image
