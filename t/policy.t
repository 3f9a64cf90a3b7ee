#!/usr/bin/perl
# Policy: roles (array, space-separated string, dotted path; exact and
# case-sensitive; lines AND-ed, alternatives OR-ed), required claims
# (string, array, number, boolean, dotted path; lines AND-ed), kinds,
# audience, issuer, and inner scopes replacing the inherited require lines.

use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use TicketTest;

plan(tests => 187);

my $t = TicketTest->new;
my $k = $t->keygen('ES256', 'k1');

$t->start(<<'EOF');
    log_format t '$arg_c $status $ticket_decision $ticket_reason';
    ticket_keys %%DIR%%/keys/k1.jwks;

    server {
        listen 127.0.0.1:%%PORT%%;
        access_log %%DIR%%/logs/x.log t;

        location /role/ {
            ticket any;
            ticket_require_role admin;
            proxy_pass http://127.0.0.1:%%PORT:backend%%;
        }

        location /dotted-role/ {
            ticket any;
            ticket_roles_claim realm_access.roles;
            ticket_require_role admin;
            proxy_pass http://127.0.0.1:%%PORT:backend%%;
        }

        location /and/ {
            ticket any;
            ticket_require_role a;
            ticket_require_role b;
            proxy_pass http://127.0.0.1:%%PORT:backend%%;
        }

        location /or/ {
            ticket any;
            ticket_require_role a b;
            proxy_pass http://127.0.0.1:%%PORT:backend%%;
        }

        location /claim/ {
            ticket any;
            ticket_require_claim dept sales eng;
            proxy_pass http://127.0.0.1:%%PORT:backend%%;
        }

        location /level/ {
            ticket any;
            ticket_require_claim level 3;
            proxy_pass http://127.0.0.1:%%PORT:backend%%;
        }

        location /bool/ {
            ticket any;
            ticket_require_claim mfa true;
            proxy_pass http://127.0.0.1:%%PORT:backend%%;
        }

        location /claims-and/ {
            ticket any;
            ticket_require_claim dept eng;
            ticket_require_claim level 3;
            proxy_pass http://127.0.0.1:%%PORT:backend%%;
        }

        location /dotted-claim/ {
            ticket any;
            ticket_require_claim org.unit ops;
            proxy_pass http://127.0.0.1:%%PORT:backend%%;
        }

        location /user/ {
            ticket user;
            proxy_pass http://127.0.0.1:%%PORT:backend%%;
        }

        location /service/ {
            ticket service;
            proxy_pass http://127.0.0.1:%%PORT:backend%%;
        }

        location /any/ {
            ticket any;
            proxy_pass http://127.0.0.1:%%PORT:backend%%;
        }

        location /aud/ {
            ticket any;
            ticket_audience a b;
            proxy_pass http://127.0.0.1:%%PORT:backend%%;
        }

        location /iss/ {
            ticket any;
            ticket_issuer https://idp.example https://idp2.example;
            proxy_pass http://127.0.0.1:%%PORT:backend%%;
        }
    }

    server {
        listen 127.0.0.1:%%PORT:inner%%;
        access_log %%DIR%%/logs/x.log t;

        ticket user;
        ticket_require_role admin;
        ticket_require_claim dept eng;

        location /inherit/ {
            proxy_pass http://127.0.0.1:%%PORT:backend%%;
        }

        location /own-role/ {
            ticket_require_role reader;
            proxy_pass http://127.0.0.1:%%PORT:backend%%;
        }

        location /own-claim/ {
            ticket_require_claim dept sales;
            proxy_pass http://127.0.0.1:%%PORT:backend%%;
        }
    }

    server {
        listen 127.0.0.1:%%PORT:backend%%;
        access_log off;
        location / {
            return 200 "backend $request_uri\n";
        }
    }
EOF

my $scope = 'Bearer realm="ticket", error="insufficient_scope"';
my $invalid = 'Bearer realm="ticket", error="invalid_token"';

sub tk {
    my (%a) = @_;
    return $t->mint(key => $k->{key}, kid => 'k1', sub => 'alice',
                    kind => 'user', %a);
}

# case(name, uri, ticket, status, reason [, port]): two tests now
# (status, WWW-Authenticate), one later (the access log line)
my @cases;

sub case {
    my ($name, $uri, $ticket, $status, $reason, $port) = @_;
    my $r = $t->get("$uri?c=$name", ticket => $ticket, port => $port);
    is($r->{status}, $status, "$name: $status");
    my $www = $status == 403 ? $scope : $status == 401 ? $invalid : undef;
    is($r->{headers}{'www-authenticate'}, $www,
       "$name: WWW-Authenticate " . ($www // 'absent'));
    my $decision = $status == 200 ? 'allow' : 'deny';
    push @cases, [$name, "$status $decision $reason"];
}

# roles: array, space-separated string, exact and case-sensitive

case('role-array', '/role/x', tk(roles => 'reader,admin'), 200, 'ok');
case('role-array-case', '/role/x', tk(roles => 'Admin,ADMIN'), 403,
     'insufficient_role');
case('role-string', '/role/x', tk(claim => ['roles="reader admin"']), 200,
     'ok');
case('role-string-spaces', '/role/x',
     tk(claim => ['roles="  reader   admin  "']), 200, 'ok');
case('role-string-case', '/role/x', tk(claim => ['roles="Admin reader"']),
     403, 'insufficient_role');
case('role-string-prefix', '/role/x',
     tk(claim => ['roles="administrator admins"']), 403,
     'insufficient_role');
case('role-string-whole', '/role/x', tk(claim => ['roles="reader,admin"']),
     403, 'insufficient_role');
case('role-none', '/role/x', tk(), 403, 'insufficient_role');
# roles of another type are not roles the SPEC knows: malformed
case('role-number', '/role/x', tk(claim => ['roles=["admin",7]']), 401,
     'malformed');

# roles under a dotted path

case('dotted-role', '/dotted-role/x',
     tk(claim => ['realm_access={"roles":["reader","admin"]}']), 200, 'ok');
case('dotted-role-string', '/dotted-role/x',
     tk(claim => ['realm_access={"roles":"reader admin"}']), 200, 'ok');
case('dotted-role-toplevel', '/dotted-role/x', tk(roles => 'admin'), 403,
     'insufficient_role');
case('dotted-role-other', '/dotted-role/x',
     tk(claim => ['realm_access={"roles":["reader"]}'], roles => 'admin'),
     403, 'insufficient_role');

# several lines AND, one line's alternatives OR

case('and-both', '/and/x', tk(roles => 'b,a'), 200, 'ok');
case('and-only-a', '/and/x', tk(roles => 'a'), 403, 'insufficient_role');
case('and-only-b', '/and/x', tk(roles => 'b,c'), 403, 'insufficient_role');
case('or-a', '/or/x', tk(roles => 'a'), 200, 'ok');
case('or-b', '/or/x', tk(claim => ['roles="x b"']), 200, 'ok');
case('or-none', '/or/x', tk(roles => 'c,ab'), 403, 'insufficient_role');

# required claims

case('claim-string', '/claim/x', tk(claim => ['dept="eng"']), 200, 'ok');
case('claim-string-2', '/claim/x', tk(claim => ['dept=sales']), 200, 'ok');
case('claim-array', '/claim/x', tk(claim => ['dept=["hr","sales"]']), 200,
     'ok');
case('claim-other', '/claim/x', tk(claim => ['dept="hr"']), 403,
     'claim_mismatch');
case('claim-case', '/claim/x', tk(claim => ['dept="Eng"']), 403,
     'claim_mismatch');
case('claim-array-other', '/claim/x', tk(claim => ['dept=["hr","ops"]']),
     403, 'claim_mismatch');
case('claim-absent', '/claim/x', tk(), 403, 'claim_mismatch');
case('level-number', '/level/x', tk(claim => ['level=3']), 200, 'ok');
case('level-other', '/level/x', tk(claim => ['level=4']), 403,
     'claim_mismatch');
case('level-array', '/level/x', tk(claim => ['level=[1,3]']), 200, 'ok');
case('level-absent', '/level/x', tk(), 403, 'claim_mismatch');
case('bool-true', '/bool/x', tk(claim => ['mfa=true']), 200, 'ok');
case('bool-false', '/bool/x', tk(claim => ['mfa=false']), 403,
     'claim_mismatch');
case('bool-absent', '/bool/x', tk(), 403, 'claim_mismatch');
case('claims-and-both', '/claims-and/x',
     tk(claim => ['dept="eng"', 'level=3']), 200, 'ok');
case('claims-and-one', '/claims-and/x', tk(claim => ['dept="eng"']), 403,
     'claim_mismatch');
case('claims-and-other', '/claims-and/x',
     tk(claim => ['dept="eng"', 'level=2']), 403, 'claim_mismatch');
case('dotted-claim', '/dotted-claim/x',
     tk(claim => ['org={"unit":"ops"}']), 200, 'ok');
case('dotted-claim-other', '/dotted-claim/x',
     tk(claim => ['org={"unit":"dev"}', 'unit="ops"']), 403,
     'claim_mismatch');

# kinds

my $user = tk();
my $svc = tk(kind => 'service', sub => 'billing');

case('kind-user-user', '/user/x', $user, 200, 'ok');
case('kind-user-service', '/user/x', $svc, 403, 'wrong_kind');
case('kind-service-service', '/service/x', $svc, 200, 'ok');
case('kind-service-user', '/service/x', $user, 403, 'wrong_kind');
case('kind-any-user', '/any/x', $user, 200, 'ok');
case('kind-any-service', '/any/x', $svc, 200, 'ok');

# audience

case('aud-string', '/aud/x', tk(aud => 'b'), 200, 'ok');
case('aud-array', '/aud/x', tk(aud => ['x', 'a']), 200, 'ok');
case('aud-other', '/aud/x', tk(aud => 'c'), 403, 'wrong_audience');
case('aud-array-other', '/aud/x', tk(aud => ['x', 'y']), 403,
     'wrong_audience');
case('aud-absent', '/aud/x', tk(), 403, 'wrong_audience');
case('aud-case', '/aud/x', tk(aud => 'A'), 403, 'wrong_audience');

# issuer: 401 invalid_token

case('iss-ok', '/iss/x', tk(iss => 'https://idp.example'), 200, 'ok');
case('iss-ok-2', '/iss/x', tk(iss => 'https://idp2.example'), 200, 'ok');
case('iss-other', '/iss/x', tk(iss => 'https://evil.example'), 401,
     'wrong_issuer');
case('iss-prefix', '/iss/x', tk(iss => 'https://idp.example/x'), 401,
     'wrong_issuer');
case('iss-absent', '/iss/x', tk(), 401, 'wrong_issuer');

# an inner scope's require lines replace the inherited set

my $inner = $t->port('inner');
my $reader = tk(roles => 'reader', claim => ['dept="eng"']);
my $admin = tk(roles => 'admin', claim => ['dept="eng"']);
my $admin_sales = tk(roles => 'admin', claim => ['dept="sales"']);

case('inherit-admin', '/inherit/x', $admin, 200, 'ok', $inner);
case('inherit-reader', '/inherit/x', $reader, 403, 'insufficient_role',
     $inner);
case('inherit-sales', '/inherit/x', $admin_sales, 403, 'claim_mismatch',
     $inner);
case('own-role-reader', '/own-role/x', $reader, 200, 'ok', $inner);
case('own-role-admin', '/own-role/x', $admin, 403, 'insufficient_role',
     $inner);
case('own-claim-sales', '/own-claim/x', $admin_sales, 200, 'ok', $inner);
case('own-claim-eng', '/own-claim/x', $admin, 403, 'claim_mismatch',
     $inner);

$t->stop;

my %log;
for my $line (split /\n/, $t->read_file('logs/x.log')) {
    my ($c, $rest) = split / /, $line, 2;
    $log{$c} = $rest;
}

for my $c (@cases) {
    is($log{$c->[0]}, $c->[1], "log $c->[0]: $c->[1]");
}

$t->done;
