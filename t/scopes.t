#!/usr/bin/perl
# Decisions across scopes: a refusal survives error_page into a scope that
# allows (the audit record is still written); a variable read in a scope's
# rewrite phase decides for that scope, not for the server's; claims of a
# ticket refused for its tenant or revocation are never forwarded; the
# cache never carries roles read at another scope's roles path.

use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use JSON::PP;
use Time::HiRes qw(time sleep);
use TicketTest;

plan(tests => 16);

my $t = TicketTest->new;
my $k = $t->keygen('ES256', 'k1');
my $ka = $t->keygen('ES256', 'acme1', '--tenant', 'acme');
mkdir $t->dir . '/html';
$t->write_file('html/403.html', "forbidden page\n");

$t->start(<<'EOF');
    ticket_audit_log %%DIR%%/logs/audit.jsonl;

    server {
        listen 127.0.0.1:%%PORT%%;
        underscores_in_headers on;

        ticket user;
        ticket_keys %%DIR%%/keys/k1.jwks;

        # read at the server's rewrite phase, for the server's scope
        set $who $ticket_sub;

        error_page 403 /403.html;

        location = /403.html {
            root %%DIR%%/html;
        }

        location /admin/ {
            ticket_require_role admin;
            proxy_pass http://127.0.0.1:%%PORT:backend%%;
        }

        location /strict/ {
            ticket_require_role admin;
            if ($ticket_decision = allow) {
                return 200 "bypassed\n";
            }
            proxy_pass http://127.0.0.1:%%PORT:backend%%;
        }

        location /roles/ {
            ticket_roles_claim realm_access.roles;
            ticket_require_role admin;
            proxy_pass http://127.0.0.1:%%PORT:backend%%;
        }

        location /plain/ {
            proxy_pass http://127.0.0.1:%%PORT:backend%%;
        }

        location /open/ {
            ticket off;
            proxy_pass http://127.0.0.1:%%PORT:backend%%;
        }
    }

    server {
        listen 127.0.0.1:%%PORT:tenant%%;

        location / {
            satisfy any;
            allow 127.0.0.1;
            deny all;

            ticket user;
            ticket_keys %%DIR%%/keys/acme1.jwks;
            ticket_set_header X-Sub sub;
            proxy_set_header X-Tenant $ticket_tenant;
            proxy_pass http://127.0.0.1:%%PORT:backend%%;
        }
    }

    server {
        listen 127.0.0.1:%%PORT:backend%%;
        underscores_in_headers on;
        location / {
            return 200 "backend sub=$http_x_sub tenant=$http_x_tenant\n";
        }
    }
EOF

my $reader = $t->mint(key => $k->{key}, kid => 'k1', sub => 'rita',
                      kind => 'user', roles => 'reader');

# error_page 403 into a scope that allows the same ticket

my $r = $t->get('/admin/x', ticket => $reader);
is($r->{status}, 403, 'error_page: the refusal is answered');
like($r->{body}, qr/forbidden page/, 'error_page: with the error page');

# a variable in /strict/'s rewrite phase decides for /strict/

$r = $t->get('/strict/x', ticket => $reader);
is($r->{status}, 403, 'rewrite-phase variable: no bypass of the role check');
unlike($r->{body}, qr/bypassed/, 'rewrite-phase variable: if did not fire');

my $admin = $t->mint(key => $k->{key}, kid => 'k1', sub => 'ada',
                     kind => 'user', roles => 'admin');
is($t->get('/strict/x', ticket => $admin)->{body}, "bypassed\n",
   'rewrite-phase variable: allow for a ticket this scope allows');

# the cache and the roles path: roles at "roles" are not roles at
# "realm_access.roles"

my $split = $t->mint(key => $k->{key}, kid => 'k1', sub => 'sam',
                     kind => 'user', roles => 'admin',
                     claim => ['realm_access={"roles":["reader"]}']);
is($t->get('/plain/x', ticket => $split)->{status}, 200,
   'cache: seen once at the default roles path');
is($t->get('/admin/x', ticket => $split)->{status}, 200,
   'cache: admin at the default path');
is($t->get('/roles/x', ticket => $split)->{status}, 403,
   'cache: not admin at realm_access.roles, though cached');

# a ticket another tenant's key signed: never forwarded, even when
# satisfy any lets the request through

my $forged = $t->mint(key => $ka->{key}, kid => 'acme1', sub => 'mallory',
                      kind => 'user', tenant => 'globex');
$r = $t->get('/x', ticket => $forged, port => $t->port('tenant'));
is($r->{status}, 200, 'satisfy any: let through by allow');
like($r->{body}, qr/^backend sub= tenant=$/m,
     'tenant mismatch: neither ticket_set_header nor $ticket_tenant '
     . 'forwards its claims');

my $good = $t->mint(key => $ka->{key}, kid => 'acme1', sub => 'alice',
                    kind => 'user', tenant => 'acme');
like($t->get('/x', ticket => $good, port => $t->port('tenant'))->{body},
     qr/^backend sub=alice tenant=acme$/m, 'a valid ticket is forwarded');

# a name forwarded anywhere is stripped everywhere, "_" as "-"

$r = $t->get('/open/x', headers => ['X-Sub' => 'forged']);
like($r->{body}, qr/^backend sub= /m,
     'an unprotected location of another server strips X-Sub');
$r = $t->get('/open/x', headers => ['X_Sub' => 'forged']);
like($r->{body}, qr/^backend sub= /m, 'and X_Sub');

$t->stop;

# the audit trail keeps the refusal of /admin/ despite the error page

my @rec = map { decode_json($_) }
          split /\n/, $t->read_file('logs/audit.jsonl');
my ($adm) = grep { $_->{uri} eq '/admin/x' && $_->{sub} eq 'rita' } @rec;
ok($adm, 'audit: the refused request has its record');
is($adm && $adm->{event}, 'over_privilege',
   'audit: over_privilege, not the error page\'s allow');

$t->done;
