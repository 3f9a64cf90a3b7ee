#!/usr/bin/perl
# nginx with the module under valgrind (master and workers): a start with
# keys, Redis, an audit log and the cache in use, requests of every kind,
# a reload, a stop.  No process may report a definite leak or an invalid
# read or write.

use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Time::HiRes qw(time sleep);
use TicketTest;

my $valgrind = '/usr/bin/valgrind';

plan(tests => 9);

ok(-x $valgrind, 'valgrind is installed (scripts/deps.sh)')
    or BAIL_OUT('valgrind missing: apt-get install valgrind');

if ($ENV{SAN}) {
    # valgrind and AddressSanitizer cannot share a process; this test
    # checks the plain build, which the SAN pass has already run
    $ENV{SAN} = 0;
    $ENV{TICKET_BUILD} =~ s{build-san$}{build} if $ENV{TICKET_BUILD};
    $ENV{TICKET_MODULE} //= TicketTest::build_dir()
                            . '/nginx/objs/ngx_http_ticket_module.so';
}

my $t = TicketTest->new;
$t->start_redis;
my $k = $t->keygen('ES256', 'k1');
my $h = $t->keygen('HS256', 'h1');

my $conf = <<'EOF';
    ticket_redis 127.0.0.1:%%PORT:redis%% timeout=2s;
    ticket_revocation_max_stale 30s;
    ticket_audit_log %%DIR%%/logs/audit.jsonl;
    ticket_privileged_roles admin;

    server {
        listen 127.0.0.1:%%PORT%%;
        location / {
            ticket user;
            ticket_keys %%DIR%%/keys/k1.jwks;
            ticket_key h1 HS256 %%DIR%%/keys/h1.key;
            ticket_require_role reader;
            ticket_set_header X-User sub;
            proxy_pass http://127.0.0.1:%%PORT:backend%%;
        }
        location = /status {
            ticket_status;
        }
    }
    server {
        listen 127.0.0.1:%%PORT:backend%%;
        location / { return 200 "ok $http_x_user\n"; }
    }
EOF

my $vlog = $t->dir . '/vg';
mkdir $vlog;
chmod 0777, $vlog;

$t->start($conf, workers => 2, wait => 60,
          wrapper => [$valgrind, '--leak-check=full', '--trace-children=yes',
                      '--errors-for-leak-kinds=definite',
                      "--suppressions=$FindBin::Bin/valgrind.supp",
                      '--show-leak-kinds=definite', '--num-callers=30',
                      "--log-file=$vlog/vg.%p"]);

my $end = time + 60;
my $st = 0;
my $reader = $t->mint(key => $k->{key}, kid => 'k1', sub => 'r',
                      kind => 'user', roles => 'reader,admin');
while (time < $end) {
    $st = $t->get('/', ticket => $reader)->{status};
    last if $st == 200;
    sleep 0.2;
}
is($st, 200, 'under valgrind: a valid ticket passes (lists loaded)');

my $hs = $t->mint(key => $h->{key}, kid => 'h1', sub => 'h', kind => 'user',
                  roles => 'reader');
my %seen;
for my $tk ($reader, $reader, $hs, $hs, 'garbage.x.y', "$reader" . 'x',
            $t->mint(key => $k->{key}, kid => 'k1', sub => 'n',
                     kind => 'user'))
{
    $seen{$t->get('/', ticket => $tk)->{status}}++;
}
$seen{$t->get('/')->{status}}++;
$seen{$t->get('/status')->{status}}++;
is_deeply([sort keys %seen], [200, 401, 403], 'allowed, 401 and 403 seen');

ok($t->reload($conf), 'reload under valgrind');
is($t->get('/', ticket => $reader)->{status}, 200, 'after the reload: 200');

$t->stop;

my @logs = glob "$vlog/vg.*";
cmp_ok(scalar @logs, '>=', 3, 'valgrind followed the master and workers');

my (@leaks, @errors);
for my $f (@logs) {
    my $v = $t->read_file($f);
    push @leaks, $f if $v =~ /definitely lost: [1-9][\d,]* bytes/;
    push @errors, $f if $v =~ /Invalid (?:read|write|free)|uninitialised/;
}
is_deeply(\@leaks, [], 'no definite leak in any process')
    or diag(join "\n", map { $t->read_file($_) } @leaks);
is_deeply(\@errors, [], 'no invalid read, write or free')
    or diag(join "\n", map { $t->read_file($_) } @errors);

$t->done;
