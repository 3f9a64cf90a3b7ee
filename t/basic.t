#!/usr/bin/perl
# ticket user: allowed, missing, invalid, insufficient; RFC 6750 challenges;
# bodies never echo the ticket.

use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use TicketTest;

plan(tests => 20);

my $t = TicketTest->new;
my $k = $t->keygen('ES256', 'k1');

$t->start(<<'EOF');
    log_format t '$status $ticket_decision $ticket_reason $ticket_sub';
    server {
        listen 127.0.0.1:%%PORT%%;
        access_log %%DIR%%/logs/t.log t;

        location /api/ {
            ticket user;
            ticket_keys %%DIR%%/keys/k1.jwks;
            ticket_realm "example";
            proxy_pass http://127.0.0.1:%%PORT:backend%%;
        }

        location /admin/ {
            ticket user;
            ticket_keys %%DIR%%/keys/k1.jwks;
            ticket_require_role admin;
            proxy_pass http://127.0.0.1:%%PORT:backend%%;
        }

        location /open/ {
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

my $good = $t->mint(key => $k->{key}, kid => 'k1', sub => 'alice',
                    kind => 'user', roles => 'reader');

my $r = $t->get('/api/x', ticket => $good);
is($r->{status}, 200, 'valid ticket: 200');
like($r->{body}, qr/^backend \/api\/x$/m, 'valid ticket: backend answered');

$r = $t->get('/api/x');
is($r->{status}, 401, 'no ticket: 401');
is($r->{headers}{'www-authenticate'}, 'Bearer realm="example"',
   'no ticket: challenge without error');

$r = $t->get('/api/x', ticket => 'not.a.ticket');
is($r->{status}, 401, 'garbage: 401');
is($r->{headers}{'www-authenticate'},
   'Bearer realm="example", error="invalid_token"',
   'garbage: invalid_token');

# flip one character in the middle of the signature (not the last one:
# its unused bits must stay zero, or the ticket is merely malformed)
my $tampered = $good;
my $at = length($tampered) - 20;
substr($tampered, $at, 1) = substr($tampered, $at, 1) eq 'A' ? 'B' : 'A';
$r = $t->get('/api/x', ticket => $tampered);
is($r->{status}, 401, 'tampered signature: 401');
unlike($r->{raw}, qr/\Q$good\E|\Q$tampered\E/, 'body never echoes ticket');

$r = $t->get('/admin/x', ticket => $good);
is($r->{status}, 403, 'missing role: 403');
is($r->{headers}{'www-authenticate'},
   'Bearer realm="ticket", error="insufficient_scope"',
   'missing role: insufficient_scope, default realm');

$r = $t->get('/open/x');
is($r->{status}, 200, 'unprotected location: 200 without ticket');

my $admin = $t->mint(key => $k->{key}, kid => 'k1', sub => 'root',
                     kind => 'user', roles => 'admin,reader');
$r = $t->get('/admin/x', ticket => $admin);
is($r->{status}, 200, 'admin role: 200');

my $svc = $t->mint(key => $k->{key}, kid => 'k1', sub => 'billing',
                   kind => 'service');
$r = $t->get('/api/x', ticket => $svc);
is($r->{status}, 403, 'service ticket on user location: 403');

$r = $t->get('/api/x', headers => [Authorization => "bearer $good"]);
is($r->{status}, 200, 'scheme is case-insensitive');

$r = $t->get('/api/x', headers => [Authorization => "Basic dXNlcjpwYXNz"]);
is($r->{status}, 401, 'Basic credentials are no ticket');
is($r->{headers}{'www-authenticate'}, 'Bearer realm="example"',
   'Basic credentials: challenge without error');

$t->stop;

my @log = split /\n/, $t->read_file('logs/t.log');
is($log[0], '200 allow ok alice', 'log: allowed with sub');
is($log[1], '401 deny missing -', 'log: missing');
like($log[3], qr/^401 deny bad_signature -$/, 'log: bad_signature, no sub');

$t->done;
