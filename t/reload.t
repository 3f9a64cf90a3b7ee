#!/usr/bin/perl
# Key rotation by reload: the JWKS file is rewritten at the same path and
# nginx gets HUP with the same configuration.  Add k2 (k1 and k2 overlap),
# retire k1, then a broken file: the reload fails and the running
# configuration keeps serving.

use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use JSON::PP;
use Time::HiRes qw(time);
use TicketTest;

plan(tests => 20);

my $t = TicketTest->new;
my $dir = $t->dir;
my $k1 = $t->keygen('ES256', 'k1');
my $k2 = $t->keygen('ES256', 'k2');

my $json = JSON::PP->new->canonical;
my %jwk = map { $_ => $json->decode($t->read_file("$dir/keys/$_.jwks"))
                           ->{keys}[0] } qw(k1 k2);

sub write_set {
    my @kids = @_;
    $t->write_file('issuer.jwks',
                   $json->encode({ keys => [ map { $jwk{$_} } @kids ] }));
}

write_set('k1');

$t->start(<<'EOF');
    server {
        listen 127.0.0.1:%%PORT%%;
        add_header X-Reason $ticket_reason always;

        location /api/ {
            ticket user;
            ticket_keys %%DIR%%/issuer.jwks;
            proxy_pass http://127.0.0.1:%%PORT:backend%%;
        }
    }
    server {
        listen 127.0.0.1:%%PORT:backend%%;
        location / {
            return 200 "backend $request_uri\n";
        }
    }
EOF

my $t1 = $t->mint(key => $k1->{key}, kid => 'k1', sub => 'one',
                  kind => 'user');
my $t2 = $t->mint(key => $k2->{key}, kid => 'k2', sub => 'two',
                  kind => 'user');

# Ask until the answer is $want (a worker of the old generation may still
# answer right after a reload), at most 10 s; no sleeps, only requests.
sub poll {
    my ($ticket, $want) = @_;
    my $end = time + 10;
    my $r;
    do {
        $r = $t->get('/api/x', ticket => $ticket);
    } while ($r->{status} != $want && time < $end);
    return $r;
}

my $r = $t->get('/api/x', ticket => $t1);
is($r->{status}, 200, 'k1 only: k1 ticket 200');
$r = $t->get('/api/x', ticket => $t2);
is($r->{status}, 401, 'k1 only: k2 ticket 401');
is($r->{headers}{'x-reason'}, 'unknown_key', 'k1 only: k2 is unknown_key');

# ---- rotate: k1 and k2 ----------------------------------------------------

write_set('k1', 'k2');
ok($t->reload, 'rotate (k1 + k2, same path, same config): reload done');
$r = poll($t2, 200);
is($r->{status}, 200, 'k1 + k2: k2 ticket 200');
$r = $t->get('/api/x', ticket => $t1);
is($r->{status}, 200, 'k1 + k2: k1 ticket still 200');

# ---- retire k1 --------------------------------------------------------------

write_set('k2');
ok($t->reload, 'retire k1: reload done');
$r = poll($t1, 401);
is($r->{status}, 401, 'k2 only: k1 ticket 401');
is($r->{headers}{'x-reason'}, 'unknown_key', 'k2 only: k1 is unknown_key');
is($r->{headers}{'www-authenticate'},
   'Bearer realm="ticket", error="invalid_token"',
   'k2 only: k1 gets invalid_token');
$r = $t->get('/api/x', ticket => $t2);
is($r->{status}, 200, 'k2 only: k2 ticket 200');

# ---- broken file: the reload fails, the old configuration serves ------------

my @workers = sort $t->worker_pids;
ok(scalar @workers, 'workers running before the bad reload');
my $log_before = length $t->error_log;

$t->write_file('issuer.jwks', "this is not a JWKS {{{\n");
ok(!$t->reload, 'garbage key file: reload fails');

my $new_log = substr $t->error_log, $log_before;
like($new_log, qr/\[emerg\][^\n]*\Q$dir\E\/issuer\.jwks/,
     'error log: [emerg] naming the key file');
like($new_log, qr/\[emerg\][^\n]*in \Q$dir\E\/nginx\.conf:\d+/,
     'error log: [emerg] with the configuration line');

$r = $t->get('/api/x', ticket => $t2);
is($r->{status}, 200, 'after failed reload: k2 ticket still 200');
$r = $t->get('/api/x', ticket => $t1);
is($r->{status}, 401, 'after failed reload: k1 ticket still 401');
is($r->{headers}{'x-reason'}, 'unknown_key',
   'after failed reload: old key set (k2 only) still in force');
is_deeply([sort $t->worker_pids], \@workers,
          'after failed reload: the same workers serve, none restarted');

# stops nginx; no [alert], no worker exited on a signal, no sanitizer report
$t->done;
