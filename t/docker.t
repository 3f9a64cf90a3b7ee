#!/usr/bin/perl
# docker/: no Docker engine here, so statically: the Dockerfile builds
# through scripts/build-module.sh and installs exactly scripts/deps.sh's
# packages; compose.yaml refers to files that exist; the gateway
# configuration it mounts (an example) and the backend's pass `nginx -t`
# with the module built here, keys made by the compose keygen command.

use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Cwd qw(abs_path);
use TicketTest;

plan(tests => 14);

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
is_deeply([map { (split ' ')[1] } @stages], ['debian:12', 'debian:12'],
          'Dockerfile: a build and a runtime stage on debian:12');

my @run = grep { /^RUN\s/ } @inst;
ok((grep { m{\bbash scripts/build-module\.sh\b} } @run) == 1,
   'Dockerfile: the build runs scripts/build-module.sh');
ok(!grep({ m{\./configure|objs/Makefile|\bcc\b|\bgcc\s+-|make\s+-f} } @run),
   'Dockerfile: nothing builds around the script');

my ($deps_list) = $deps =~ /^pkgs=\(([^)]*)\)/ms;
ok($deps_list && $deps_list =~ /nginx-dev/,
   'scripts/deps.sh: its package list parses');
ok((grep { m{^RUN bash scripts/deps\.sh\b} } @run)
   && !grep({ m{apt-get install} } $run[0]),
   'Dockerfile: the build stage installs through scripts/deps.sh itself');

ok((grep { m{^COPY --from=build /build/nginx/objs/ngx_http_ticket_module\.so /usr/lib/nginx/modules/} } @inst)
   && (grep { m{^COPY --from=build /build/ticketctl /usr/bin/ticketctl} } @inst),
   'Dockerfile: the runtime stage takes the module and ticketctl it built');
like($dockerfile, qr{echo\ 'load_module\ modules/ngx_http_ticket_module\.so;'.*
                     /etc/nginx/modules-enabled/50-mod-http-ticket\.conf}sx,
     'Dockerfile: loads the module as the Debian package does');

# ---- compose.yaml ----------------------------------------------------------

my @paths;
push @paths, $1 while $compose =~ /^\s*-\s*(\.{1,2}\/[^:\s]+):/mg;
push @paths, "../$1" while $compose =~ /^\s*dockerfile:\s*(\S+)/mg;
ok(@paths >= 3 && !grep({ !-e "$root/docker/$_" } @paths),
   'compose.yaml: every file it refers to exists (' . join(' ', @paths) . ')')
    or diag(join ' ', grep { !-e "$root/docker/$_" } @paths);
like($compose, qr/^\s*context:\s*\.\.\s*$/m, 'compose.yaml: builds from the repository');
ok((grep { $compose =~ /^  $_:\s*$/m } qw(redis gateway backend)) == 3,
   'compose.yaml: redis, gateway and backend');

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
