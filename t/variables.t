#!/usr/bin/perl
# $ticket_* variables: every one in log_format (also escape=json), claims
# of each type, map, if (rewrite phase: verified on first use),
# proxy_set_header; empty identity for an unverified ticket; nothing in an
# unprotected location.

use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use JSON::PP;
use TicketTest qw(b64url_decode);

plan(tests => 61);

my $t = TicketTest->new;
my $k = $t->keygen('ES256', 'k1');
my $other = $t->keygen('ES256', 'k2');      # not configured

$t->start(<<'EOF');
    log_format all '$arg_c|$ticket_sub|$ticket_kind|$ticket_tenant|'
                   '$ticket_jti|$ticket_iss|$ticket_sid|$ticket_exp|'
                   '$ticket_roles|$ticket_kid|$ticket_alg|$ticket_decision|'
                   '$ticket_reason|$ticket_verified|$ticket_claim_dept|'
                   '$ticket_claim_level|$ticket_claim_groups|'
                   '$ticket_claim_mixed|$ticket_claim_mfa|$ticket_claim_obj|'
                   '$status';
    log_format js escape=json '{"c":"$arg_c","sub":"$ticket_sub",'
                              '"note":"$ticket_claim_note",'
                              '"reason":"$ticket_reason"}';

    map $ticket_sub $who {
        default  nobody;
        alice    A;
        ~^svc-   S;
    }

    ticket_keys %%DIR%%/keys/k1.jwks;

    server {
        listen 127.0.0.1:%%PORT%%;
        access_log %%DIR%%/logs/x.log all;
        access_log %%DIR%%/logs/j.log js;

        location /v/ {
            ticket any;
            add_header X-Who $who always;
            proxy_set_header X-Sub $ticket_sub;
            proxy_set_header X-Roles $ticket_roles;
            proxy_pass http://127.0.0.1:%%PORT:backend%%;
        }

        location /if/ {
            ticket any;
            if ($ticket_kind = service) {
                return 418;
            }
            proxy_pass http://127.0.0.1:%%PORT:backend%%;
        }

        location /open/ {
            add_header X-Who $who always;
            proxy_set_header X-Sub $ticket_sub;
            proxy_pass http://127.0.0.1:%%PORT:backend%%;
        }
    }

    server {
        listen 127.0.0.1:%%PORT:backend%%;
        access_log off;
        location / {
            return 200 "sub=[$http_x_sub] roles=[$http_x_roles]\n";
        }
    }
EOF

my $exp = time() + 600;
my $full = $t->mint(key => $k->{key}, kid => 'k1', sub => 'alice',
                    kind => 'user', tenant => 'acme', jti => 'jti-1',
                    iss => 'https://idp.example', sid => 'dev-7',
                    exp => $exp, roles => 'reader,admin',
                    claim => ['dept="eng"', 'level=3', 'groups=["g1","g2"]',
                              'mixed=[1,"x"]', 'mfa=true',
                              'obj={"a":"b"}']);
my $svc = $t->mint(key => $k->{key}, kid => 'k1', sub => 'svc-billing',
                   kind => 'service', claim => ['roles="a  b c"']);
my $forged = $t->mint(key => $other->{key}, kid => 'k1', sub => 'alice',
                      kind => 'service', tenant => 'acme', jti => 'jti-f',
                      iss => 'https://idp.example', sid => 'dev-7',
                      roles => 'admin', claim => ['dept="eng"', 'level=3']);
my $quoted = $t->mint(key => $k->{key}, kid => 'k1', sub => 'q"uote',
                      kind => 'user',
                      claim => ['note="say \"hi\"\nbye\\\\"']);

# map in add_header, proxy_set_header

my $r = $t->get('/v/x?c=full', ticket => $full);
is($r->{status}, 200, 'full ticket: 200');
is($r->{headers}{'x-who'}, 'A', 'map $ticket_sub in add_header');
like($r->{body}, qr/^sub=\[alice\] roles=\[reader,admin\]$/m,
     'proxy_set_header $ticket_sub, $ticket_roles');

$r = $t->get('/v/x?c=svc', ticket => $svc);
is($r->{status}, 200, 'service ticket: 200');
is($r->{headers}{'x-who'}, 'S', 'map regex on $ticket_sub');
like($r->{body}, qr/^sub=\[svc-billing\] roles=\[a,b,c\]$/m,
     'space-separated roles comma-joined');

$r = $t->get('/v/x?c=forged', ticket => $forged);
is($r->{status}, 401, 'forged: 401');
is($r->{headers}{'x-who'}, 'nobody', 'map: unverified sub is not used');

$r = $t->get('/v/x?c=none');
is($r->{status}, 401, 'no ticket: 401');
is($r->{headers}{'x-who'}, 'nobody', 'map: no ticket, default');

$r = $t->get('/v/x?c=quoted', ticket => $quoted);
is($r->{status}, 200, 'claim with quotes and newline: 200');

# if in the rewrite phase: verified on first use

$r = $t->get('/if/x?c=if-svc', ticket => $svc);
is($r->{status}, 418, 'if ($ticket_kind = service) fires for a service ticket');

$r = $t->get('/if/x?c=if-forged', ticket => $forged);
is($r->{status}, 401, 'if does not fire for an unverified kind "service"');
is($r->{headers}{'www-authenticate'},
   'Bearer realm="ticket", error="invalid_token"',
   'unverified service claim: invalid_token');

$r = $t->get('/if/x?c=if-user', ticket => $full);
is($r->{status}, 200, 'if does not fire for a user ticket');

$r = $t->get('/if/x?c=if-none');
is($r->{status}, 401, 'if: no ticket, 401');

# unprotected location: nothing checked, nothing set

$r = $t->get('/open/x?c=open', ticket => $full);
is($r->{status}, 200, 'unprotected: 200');
is($r->{headers}{'x-who'}, 'nobody', 'unprotected: map sees no sub');
like($r->{body}, qr/^sub=\[\] /m, 'unprotected: no sub forwarded');

$t->stop;

my %log;
my @lines = split /\n/, $t->read_file('logs/x.log');
is(scalar @lines, 10, 'access log: one line per request');
for my $line (@lines) {
    my @f = split /\|/, $line, -1;
    $log{$f[0]} = \@f;
}

sub field {
    my ($c, @names) = @_;
    my @order = qw(c sub kind tenant jti iss sid exp roles kid alg decision
                   reason verified dept level groups mixed mfa obj status);
    my %i;
    @i{@order} = 0 .. $#order;
    my $f = $log{$c} or return;
    return @names == 1 ? $f->[$i{$names[0]}]
                       : join ' ', map { $f->[$i{$_}] } @names;
}

is(field('full', qw(sub kind tenant jti iss sid)),
   'alice user acme jti-1 https://idp.example dev-7',
   'log: identity variables');
is(field('full', 'exp'), $exp, 'log: $ticket_exp');
is(field('full', 'roles'), 'reader,admin', 'log: $ticket_roles');
is(field('full', qw(kid alg)), 'k1 ES256', 'log: $ticket_kid, $ticket_alg');
is(field('full', qw(decision reason verified)), 'allow ok 1',
   'log: decision, reason, verified');
is(field('full', 'dept'), 'eng', 'log: $ticket_claim_ string');
is(field('full', 'level'), '3', 'log: $ticket_claim_ number');
is(field('full', 'groups'), 'g1,g2', 'log: $ticket_claim_ array joined');
is(field('full', 'mixed'), '[1,\x22x\x22]',
   'log: $ticket_claim_ mixed array as JSON (quotes escaped by the log)');
is(field('full', 'mfa'), 'true', 'log: $ticket_claim_ boolean');
is(field('full', 'obj'), '{\x22a\x22:\x22b\x22}',
   'log: $ticket_claim_ object as compact JSON');
is(field('svc', qw(sub kind roles)), 'svc-billing service a,b,c',
   'log: service ticket, roles from a string');
is(field('svc', 'tenant'), '-', 'log: absent tenant');
is(field('svc', 'dept'), '-', 'log: absent claim');

is(field('forged', qw(sub kind tenant jti iss sid exp roles)),
   '- - - - - - - -', 'log: unverified ticket, identity variables empty');
is(field('forged', qw(dept level)), '- -',
   'log: unverified ticket, claims empty');
is(field('forged', qw(kid alg)), 'k1 ES256',
   'log: unverified ticket, kid and alg set');
is(field('forged', qw(decision reason verified status)),
   'deny bad_signature 0 401', 'log: unverified ticket, decision');

is(field('none', qw(sub kid alg decision reason verified status)),
   '- - - deny missing 0 401', 'log: no ticket');

is(field('if-svc', qw(sub kind decision reason status)),
   'svc-billing service allow ok 418', 'log: if fired after verification');
is(field('if-forged', qw(sub kind decision reason status)),
   '- - deny bad_signature 401', 'log: if did not fire, denied');
is(field('if-user', qw(sub decision reason status)), 'alice allow ok 200',
   'log: if, user ticket allowed');

is(field('open', qw(decision reason)), ' ',
   'log: unprotected, $ticket_decision and $ticket_reason empty');
is(field('open', qw(sub verified)), '- 0',
   'log: unprotected, no sub, not verified');

like(field('quoted', 'sub'), qr/^q\\x22uote$/, 'log: quote escaped by nginx');

# escape=json

my @j = split /\n/, $t->read_file('logs/j.log');
is(scalar @j, 10, 'json log: one line per request');
my %j;
for my $line (@j) {
    my $o = eval { decode_json($line) };
    ok($o, "json log line parses: $line") or next;
    $j{$o->{c}} = $o;
}
is($j{quoted}{sub}, 'q"uote', 'json log: quote in sub');
is($j{quoted}{note}, 'say "hi"\x0abye\\',
   'json log: newline as \x0a, quotes and backslash JSON-escaped');
is($j{full}{sub}, 'alice', 'json log: sub');
is($j{forged}{reason}, 'bad_signature', 'json log: reason');

$t->done;
