#!/usr/bin/perl
# Keys: every algorithm from a JWKS file (ticket_keys) and from a PEM /
# secret file (ticket_key); a ticket signed by another key of the same alg
# under the same kid is refused; several key directives of one scope form
# one key set, an inner scope with its own keys replaces it, a scope without
# key directives inherits it; tenant-bound keys.
#
# libjwt cross-check: ticketctl signs HS, RS and ES tickets through libjwt
# (PS and EdDSA through OpenSSL), an implementation independent of the
# module's core.  Every 200 below for an HS*, RS* or ES* ticket is therefore
# the module accepting a ticket made by libjwt: no separate test is needed.

use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use TicketTest;

my @algs = qw(HS256 HS384 HS512 RS256 RS384 RS512 ES256 ES384 ES512
              PS256 PS384 PS512 EdDSA);

# per alg: jwks 200, pem 200, foreign key jwks 401 + reason,
#          foreign key pem 401 + reason                          = 6
# key sets: 11, tenant: 8, done: 1
plan(tests => 6 * @algs + 11 + 8 + 1);

my $t = TicketTest->new;
my $dir = $t->dir;
mkdir "$dir/other";
chmod 0755, "$dir/other";

my (%key, %other);
for my $alg (@algs) {
    my $kid = 'k-' . lc $alg;
    $key{$alg} = $t->keygen($alg, $kid);
    # another key of the same alg under the same kid, in another directory
    my ($rc, $o, $e) = $t->ticketctl('keygen', '--alg', $alg, '--kid', $kid,
                                     '--out', "$dir/other");
    die "keygen other $alg: $e\n" if $rc != 0;
    $other{$alg} = { key => "$dir/other/$kid.key" };
}

my $ka = $t->keygen('ES256', 'a');
my $kb = $t->keygen('ES256', 'b');
my $kc = $t->keygen('ES256', 'c');
my $kt = $t->keygen('ES256', 'ten', '--tenant', 'acme');
my $kp = $t->keygen('EdDSA', 'tenpem');

my $locations = '';
for my $alg (@algs) {
    my $kid = 'k-' . lc $alg;
    my $pem = $alg =~ /^HS/ ? "%%DIR%%/keys/$kid.key"
                            : "%%DIR%%/keys/$kid.pub";
    $locations .= <<"EOF";
        location /jwks/$alg/ {
            ticket user;
            ticket_keys %%DIR%%/keys/$kid.jwks;
            proxy_pass http://127.0.0.1:%%PORT:backend%%;
        }
        location /pem/$alg/ {
            ticket user;
            ticket_key $kid $alg $pem;
            proxy_pass http://127.0.0.1:%%PORT:backend%%;
        }
EOF
}

$t->start(<<"EOF");
    server {
        listen 127.0.0.1:%%PORT%%;
        add_header X-Reason \$ticket_reason always;
$locations
        location /tenant/jwks/ {
            ticket user;
            ticket_keys %%DIR%%/keys/ten.jwks;
            proxy_pass http://127.0.0.1:%%PORT:backend%%;
        }
        location /tenant/pem/ {
            ticket user;
            ticket_key tenpem EdDSA %%DIR%%/keys/tenpem.pub tenant=acme;
            proxy_pass http://127.0.0.1:%%PORT:backend%%;
        }
    }

    server {
        listen 127.0.0.1:%%PORT:multi%%;
        add_header X-Reason \$ticket_reason always;

        ticket_keys %%DIR%%/keys/a.jwks;
        ticket_key b ES256 %%DIR%%/keys/b.pub;

        location /set/ {
            ticket user;
            proxy_pass http://127.0.0.1:%%PORT:backend%%;

            location /set/inner/ {
                ticket user;
                ticket_key c ES256 %%DIR%%/keys/c.pub;
                proxy_pass http://127.0.0.1:%%PORT:backend%%;
            }

            location /set/inherit/ {
                ticket user;
                proxy_pass http://127.0.0.1:%%PORT:backend%%;
            }
        }
    }

    server {
        listen 127.0.0.1:%%PORT:backend%%;
        location / {
            return 200 "backend \$request_uri\\n";
        }
    }
EOF

my $r;

for my $alg (@algs) {
    my $kid = 'k-' . lc $alg;
    my $good = $t->mint(key => $key{$alg}{key}, kid => $kid, alg => $alg,
                        sub => 'alice', kind => 'user');
    my $bad = $t->mint(key => $other{$alg}{key}, kid => $kid, alg => $alg,
                       sub => 'mallory', kind => 'user');

    $r = $t->get("/jwks/$alg/x", ticket => $good);
    is($r->{status}, 200, "$alg: ticket_keys (JWKS): 200");
    $r = $t->get("/pem/$alg/x", ticket => $good);
    is($r->{status}, 200, "$alg: ticket_key (PEM/secret): 200");

    $r = $t->get("/jwks/$alg/x", ticket => $bad);
    is($r->{status}, 401, "$alg: other key, same kid, JWKS: 401");
    is($r->{headers}{'x-reason'}, 'bad_signature',
       "$alg: other key, same kid, JWKS: bad_signature");
    $r = $t->get("/pem/$alg/x", ticket => $bad);
    is($r->{status}, 401, "$alg: other key, same kid, PEM: 401");
    is($r->{headers}{'x-reason'}, 'bad_signature',
       "$alg: other key, same kid, PEM: bad_signature");
}

# ---- one scope, several keys ----------------------------------------------

my $ta = $t->mint(key => $ka->{key}, kid => 'a', sub => 'a', kind => 'user');
my $tb = $t->mint(key => $kb->{key}, kid => 'b', sub => 'b', kind => 'user');
my $tc = $t->mint(key => $kc->{key}, kid => 'c', sub => 'c', kind => 'user');
my $mp = $t->port('multi');

$r = $t->get('/set/x', ticket => $ta, port => $mp);
is($r->{status}, 200, 'key set: ticket of a.jwks (ticket_keys): 200');
$r = $t->get('/set/x', ticket => $tb, port => $mp);
is($r->{status}, 200, 'key set: ticket of b.pub (ticket_key): 200');
$r = $t->get('/set/x', ticket => $tc, port => $mp);
is($r->{status}, 401, 'key set: ticket of c (not in the set): 401');
is($r->{headers}{'x-reason'}, 'unknown_key', 'key set: c is unknown_key');

$r = $t->get('/set/inner/x', ticket => $tc, port => $mp);
is($r->{status}, 200, 'inner ticket_key: its own key c: 200');
$r = $t->get('/set/inner/x', ticket => $ta, port => $mp);
is($r->{status}, 401, 'inner ticket_key replaces the set: a is 401');
is($r->{headers}{'x-reason'}, 'unknown_key', 'inner: a is unknown_key');
$r = $t->get('/set/inner/x', ticket => $tb, port => $mp);
is($r->{headers}{'x-reason'}, 'unknown_key', 'inner: b is unknown_key');

$r = $t->get('/set/inherit/x', ticket => $ta, port => $mp);
is($r->{status}, 200, 'no key directives: inherits the set (a): 200');
$r = $t->get('/set/inherit/x', ticket => $tb, port => $mp);
is($r->{status}, 200, 'no key directives: inherits the set (b): 200');
$r = $t->get('/set/inherit/x', ticket => $tc, port => $mp);
is($r->{status}, 401, 'no key directives: c (inner only) is 401');

# ---- tenant-bound keys ----------------------------------------------------

my $acme = $t->mint(key => $kt->{key}, kid => 'ten', sub => 'alice',
                    kind => 'user', tenant => 'acme');
my $globex = $t->mint(key => $kt->{key}, kid => 'ten', sub => 'eve',
                      kind => 'user', tenant => 'globex');
my $none = $t->mint(key => $kt->{key}, kid => 'ten', sub => 'eve',
                    kind => 'user');

$r = $t->get('/tenant/jwks/x', ticket => $acme);
is($r->{status}, 200, 'tenant key (JWKS "tenant"): tenant acme: 200');
$r = $t->get('/tenant/jwks/x', ticket => $globex);
is($r->{status}, 401, 'tenant key: tenant globex: 401');
is($r->{headers}{'x-reason'}, 'tenant_mismatch',
   'tenant key: globex is tenant_mismatch');
$r = $t->get('/tenant/jwks/x', ticket => $none);
is($r->{status}, 401, 'tenant key: no tenant claim: 401');

my $pacme = $t->mint(key => $kp->{key}, kid => 'tenpem', sub => 'alice',
                     kind => 'user', tenant => 'acme');
my $pglobex = $t->mint(key => $kp->{key}, kid => 'tenpem', sub => 'eve',
                       kind => 'user', tenant => 'globex');
$r = $t->get('/tenant/pem/x', ticket => $pacme);
is($r->{status}, 200, 'ticket_key tenant=acme: tenant acme: 200');
$r = $t->get('/tenant/pem/x', ticket => $pglobex);
is($r->{status}, 401, 'ticket_key tenant=acme: tenant globex: 401');
is($r->{headers}{'x-reason'}, 'tenant_mismatch',
   'ticket_key tenant=acme: globex is tenant_mismatch');
is($r->{headers}{'www-authenticate'},
   'Bearer realm="ticket", error="invalid_token"',
   'tenant_mismatch: invalid_token challenge');

$t->done;
