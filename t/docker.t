#!/usr/bin/perl
# docker/: always, statically: the Dockerfile builds the Debian packages
# through `make deb` (so scripts/build-module.sh) after scripts/deps.sh,
# and the gateway installs those packages; compose.yaml refers to files
# that exist; the gateway configuration it mounts (an example) and the
# backend's pass `nginx -t` with the module built here.
# With TICKET_DOCKER_TEST=1 (make docker-test; root): a real engine
# (scripts/docker.sh starts dockerd where none runs), the base image made
# from Debian's own tree, `docker-compose up --build`, then an allowed, a
# refused and a revoked ticket through the running gateway, its log checked,
# and everything it made removed.  No engine: these fail, never skip.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Cwd qw(abs_path);
use TicketTest;

plan(tests => 15 + ($ENV{TICKET_DOCKER_TEST} ? 15 : 0));

my $root = abs_path("$FindBin::Bin/..");
my $t = TicketTest->new;
my $dir = $t->dir;

my $dockerfile = $t->read_file("$root/docker/Dockerfile");
my $compose = $t->read_file("$root/docker/compose.yaml");
my $deps = $t->read_file("$root/scripts/deps.sh");

# ---- Dockerfile ---------------------------------------------------------------

# instructions, continuation lines joined, comments dropped
my @inst;
for (split /\n/, $dockerfile =~ s/\\\n/ /gr) {
    next if /^\s*(#|$)/;
    push @inst, $_;
}
my @stages = grep { /^FROM\s/i } @inst;
is_deeply([map { join ' ', (split ' ')[1, 3] } @stages],
          ['debian:${DEBIAN} build', 'debian:${DEBIAN} redis',
           'debian:${DEBIAN} gateway'],
          'Dockerfile: build, redis and gateway (the default) stages');
like($dockerfile, qr/^ARG DEBIAN=13$/m, 'Dockerfile: Debian 13 by default');

my @run = grep { /^RUN\s/ } @inst;
ok((grep { m{^RUN make deb$} } @run) == 1
   && $t->read_file("$root/debian/rules")
      =~ m{^\tbash scripts/build-module\.sh --debian all}m,
   'Dockerfile: the build is make deb (debian/rules: scripts/build-module.sh)');
ok(!grep({ m{\./configure|objs/Makefile|\bcc\b|\bgcc\s+-|make\s+-f} } @run),
   'Dockerfile: nothing builds around the script');

my ($deps_list) = $deps =~ /^build=\(([^)]*)\)/ms;
ok($deps_list && $deps_list =~ /nginx-dev/ && $deps_list =~ /debhelper/,
   'scripts/deps.sh: its build package list parses');
ok((grep { m{^RUN bash scripts/deps\.sh build\b} } @run)
   && !grep({ m{apt-get install} } @run[0 .. 1]),
   'Dockerfile: the build stage installs through scripts/deps.sh itself');

ok((grep { m{^COPY --from=build\s+/src/build/deb/libnginx-mod-http-ticket_\*\.deb\s+/src/build/deb/ticketctl_\*\.deb\s+/tmp/deb/} } @inst)
   && (grep { m{apt-get install .*nginx\s+/tmp/deb/libnginx-mod-http-ticket_\*\.deb\s+/tmp/deb/ticketctl_\*\.deb} } @run),
   'Dockerfile: the gateway installs the packages it built');
like($dockerfile, qr{test -L /etc/nginx/modules-enabled/50-mod-http-ticket\.conf.*nginx -t}s,
     'Dockerfile: the package enabled the module, nginx -t passes');

# ---- compose.yaml ----------------------------------------------------------

my @paths;
push @paths, $1 while $compose =~ /^\s*-\s*(\.{1,2}\/[^:\s]+):/mg;
push @paths, "../$1" while $compose =~ /^\s*dockerfile:\s*(\S+)/mg;
ok(@paths >= 3 && !grep({ !-e "$root/docker/$_" } @paths),
   'compose.yaml: every file it refers to exists (' . join(' ', @paths) . ')')
    or diag(join ' ', grep { !-e "$root/docker/$_" } @paths);
like($compose, qr/^\s*context:\s*\.\.\s*$/m, 'compose.yaml: builds from the repository');
ok((grep { $compose =~ /^  $_:\s*$/m } qw(redis gateway backend)) == 3
   && !grep({ /\S/ && !/network_mode: host/ } split /^  (?=\w)/m,
            ($compose =~ /^services:\n(.*?)^\S/ms)[0]),
   'compose.yaml: redis, gateway and backend, on the host\'s network');

my ($conf) = $compose =~ m{^\s*-\s*\.\./(examples/[^:]+\.conf):/etc/nginx/conf\.d/}m;
ok($conf && -f "$root/$conf", 'compose.yaml: the gateway mounts ' . ($conf // 'no example'));

# keys as the keygen service makes them
my ($keygen) = $compose =~ /(ticketctl keygen [^\n|&]*)/;
my @args = map { s{^/etc/nginx/tickets$}{$dir/tickets}r }
           split ' ', ($keygen // '') =~ s/^ticketctl //r;
my ($rc, $o, $e) = $t->ticketctl(@args);
is($rc, 0, "compose.yaml's keygen command runs: " . ($keygen // 'none'))
    or diag($e);
chmod 0755, "$dir/tickets";

my $text = $t->read_file("$root/" . ($conf // 'none'));
$text =~ s{/etc/nginx/tickets/}{$dir/tickets/}g;
$text =~ s{/var/log/nginx/}{$dir/logs/}g;
$text =~ s{\bredis:6379\b}{127.0.0.1:6379}g;     # compose's service names
$text =~ s{\bbackend:8081\b}{127.0.0.1:8081}g;
$text =~ s{^(\s*listen\s+)(\d+);}{${1}127.0.0.1:$2;}mg;
($rc, $o) = $t->nginx_test($text);
ok($rc == 0 && $o =~ /test is successful/,
   "nginx -t: $conf as the gateway loads it, with the module") or diag($o);

my $backend = $t->read_file("$root/docker/backend.conf");
$backend =~ s{^(\s*listen\s+)(\d+);}{${1}127.0.0.1:$2;}mg;
($rc, $o) = $t->nginx_test($backend);
ok($rc == 0 && $o =~ /test is successful/, 'nginx -t: docker/backend.conf')
    or diag($o);

# ---- the image built and run (make docker-test) -------------------------------

exit 0 unless $ENV{TICKET_DOCKER_TEST};

sub run { my @c = @_; return $t->run_cmd(@c) }

my $project = 'ngx-ticket-test';
my @compose = ('docker-compose', '-p', $project,
               '-f', "$root/docker/compose.yaml");
my $engine_was_up = system('docker info >/dev/null 2>&1') == 0;
my $had_base = 1;

my $cleaned = 0;
sub cleanup {
    return if $cleaned++;
    run(@compose, 'down', '-v', '--rmi', 'all', '--remove-orphans');
    run('sh', '-c', 'docker image prune -f --filter label=ngx-ticket-stage '
                    . '>/dev/null');
    run('docker', 'image', 'rm', 'debian:13') unless $had_base;
    run('bash', "$root/scripts/docker.sh", 'stop') unless $engine_was_up;
}

END { cleanup() if $ENV{TICKET_DOCKER_TEST} }

($rc, $o, $e) = run('bash', "$root/scripts/docker.sh", 'engine');
is($rc, 0, 'docker: an engine answers (' . ($engine_was_up ? 'running'
           : 'dockerd started by scripts/docker.sh') . ')') or diag("$o$e");
# the base image is ours to remove only when this run made it
$had_base = system('docker image inspect debian:13 >/dev/null 2>&1') == 0;
($rc, $o, $e) = run('bash', "$root/scripts/docker.sh", 'base');
is($rc, 0, 'docker: the base image debian:13 from Debian\'s minbase tree')
    or diag("$o$e");

# host networking: the services take these ports on loopback
my @busy = grep { IO::Socket::INET->new(PeerAddr => "127.0.0.1:$_") }
           6379, 8080, 8081;
ok(!@busy, 'ports 6379 8080 8081 free for the compose services')
    or diag("in use: @busy");

($rc, $o, $e) = run(@compose, 'build');
is($rc, 0, 'docker-compose build: the images of docker/Dockerfile')
    or diag(substr("$o$e", -3000));
($rc, $o, $e) = run(@compose, 'up', '-d');
is($rc, 0, 'docker-compose up -d: redis, keygen, backend, gateway')
    or diag("$o$e");

sub gw {
    my ($path, $ticket) = @_;
    my $auth = $ticket ? "Authorization: Bearer $ticket\r\n" : '';
    return $t->http("GET $path HTTP/1.0\r\nHost: gateway\r\n$auth\r\n", 8080);
}

sub poll {
    my ($what, $want) = @_;
    my $r = '';
    for (1 .. 600) {
        $r = $what->();
        return $r if $r =~ $want;
        select undef, undef, undef, 0.1;
    }
    return $r;
}

my $r = poll(sub { gw('/health') }, qr{^HTTP/1\.\d 200 });
like($r, qr{^HTTP/1\.\d 200 .*\r\n\r\nbackend: GET /health}s,
     'the gateway answers, through the backend container');

sub mint {
    my @roles = @_;
    my ($rc, $o, $e) = run(@compose, 'exec', '-T', 'gateway', 'ticketctl',
        'mint', '--key', '/etc/nginx/tickets/app-1.key', '--kid', 'app-1',
        '--sub', 'alice', '--kind', 'user', '--roles', join(',', @roles),
        '--aud', 'app', '--iss', 'https://login.example.com');
    chomp $o;
    return $rc == 0 ? $o : diag("ticketctl mint: $e");
}

my $reader = mint('reader');
ok($reader && $reader =~ /^[\w-]+\.[\w-]+\.[\w-]+$/,
   'ticketctl mint in the gateway container, with the keygen service\'s key');

# the lists are synced from Redis before the first ticket is accepted
$r = poll(sub { gw('/api/orders', $reader) }, qr{^HTTP/1\.\d 200 });
like($r, qr{^HTTP/1\.\d 200 .*backend: GET /api/orders sub=alice roles=reader}s,
     'allowed: a reader ticket reaches the backend, claims forwarded');
like(gw('/api/orders'), qr{^HTTP/1\.\d 401 }, 'refused: no ticket, 401');
like(gw('/admin/users', $reader), qr{^HTTP/1\.\d 403 },
     'refused: a reader ticket on /admin/, 403');

($rc, $o, $e) = run(@compose, 'exec', '-T', 'gateway', 'ticketctl',
    'revoke', '--redis', 'redis:6379', '--sub', 'alice',
    '--reason', 'docker.t');
is($rc, 0, 'ticketctl revoke --sub alice, into the redis container')
    or diag("$o$e");
$r = poll(sub { gw('/api/orders', $reader) }, qr{^HTTP/1\.\d 401 });
like($r, qr{^HTTP/1\.\d 401 }, 'revoked: the same ticket now gets 401');

# the module writes its audit records as nginx writes its access log:
# buffered, flushed by a timer within a second; the record is waited for
$o = poll(sub {
    my (undef, $out, $err) = run(@compose, 'exec', '-T', 'gateway', 'cat',
                                 '/var/log/nginx/ticket-audit.jsonl');
    return $out . $err;
}, qr/"revoked"/);
like($o, qr/"revoked"/, 'the audit log in the container records '
                        . 'the revoked ticket (within the flush second)')
    or diag($o);

($rc, $o, $e) = run(@compose, 'logs', '--no-color', 'gateway');
ok($o !~ /\[(alert|emerg)\]|exited on [s]ignal/,
   'the gateway\'s log: no alert, no crashed worker') or diag($o);

cleanup();
($rc, $o) = run('sh', '-c', "docker ps -aq --filter name=$project; "
                . 'docker images -q ngx-ticket*');
is($o, '', 'cleaned up: no container or image of ours left');
