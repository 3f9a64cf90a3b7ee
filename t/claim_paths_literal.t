#!/usr/bin/perl
# Claim paths name a literal top-level member first, then a dotted path
# (SPEC "Tickets from identity providers"), in every directive that takes
# one: ticket_require_claim, ticket_set_header, ticket_kind_claim,
# ticket_jti_claim, ticket_roles_claim, and ticketctl revoke --jti-claim.
#
# Tickets are minted here (IdpToken: the openssl command, with a key the
# test generated) with namespaced member names that hold dots
# ("https://example.com/dept", a URL with a port and a dotted path), and
# beside them, or instead of them, a nested object that the dotted path
# reaches ("https://example" -> "com/dept", "org" -> "unit").  With both,
# the literal member wins, even where the nested value would have matched;
# with the literal absent, the dotted path is used.  The backend (a second
# server of the same nginx) answers with the forwarded headers it got, and
# every case is asked twice: the second answer comes from the cache.
# $ticket_claim_NAME takes no path (a variable's name cannot hold a dot):
# it names a top-level member only.

use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Time::HiRes qw(time sleep);
use JSON::PP;
use TicketTest;
use IdpToken qw(idp_token);

plan(tests => 76);

my $t = TicketTest->new;
my $redis = $t->start_redis;
my $k = $t->keygen('ES256', 'k1');

my $URL = 'https://id.example.com:8443/claims/v1.tier';

$t->start(<<"EOF");
    ticket_redis 127.0.0.1:%%PORT:redis%% timeout=300ms;
    ticket_keys %%DIR%%/keys/k1.jwks;

    server {
        listen 127.0.0.1:%%PORT%%;

        ticket_kind_claim https://example.com/kind person=user robot=service;
        ticket_jti_claim https://example.com/jti;
        ticket_roles_claim https://example.com/roles;

        add_header X-Reason \$ticket_reason always;
        add_header X-Kind \$ticket_kind always;
        add_header X-Jti \$ticket_jti always;
        add_header X-Roles \$ticket_roles always;
        add_header X-Claim-Org \$ticket_claim_org always;

        location /fwd/ {
            ticket any;
            ticket_set_header X-Dept https://example.com/dept;
            ticket_set_header X-Unit org.unit;
            ticket_set_header X-Tier "$URL";
            proxy_pass http://127.0.0.1:%%PORT:backend%%;
        }

        location /req-dept/ {
            ticket any;
            ticket_require_claim https://example.com/dept sales;
            proxy_pass http://127.0.0.1:%%PORT:backend%%;
        }

        location /req-unit/ {
            ticket any;
            ticket_require_claim org.unit emea;
            proxy_pass http://127.0.0.1:%%PORT:backend%%;
        }

        location /req-tier/ {
            ticket any;
            ticket_require_claim "$URL" gold;
            proxy_pass http://127.0.0.1:%%PORT:backend%%;
        }

        location /user/ {
            ticket user;
            proxy_pass http://127.0.0.1:%%PORT:backend%%;
        }
    }

    server {
        listen 127.0.0.1:%%PORT:backend%%;
        location / {
            return 200 "dept=\$http_x_dept unit=\$http_x_unit tier=\$http_x_tier";
        }
    }
EOF

my $now = int(time);
my $json = JSON::PP->new->canonical;

sub token {
    my (%c) = @_;
    return idp_token($json->encode({ alg => 'ES256', typ => 'JWT',
                                     kid => 'k1' }),
                     $json->encode({ sub => 'alice', iat => $now,
                                     exp => $now + 300, %c }),
                     $k->{key}, 'ES256');
}

sub req { return $t->get($_[0], ticket => $_[1]) }

# request until the status is $want or 5 s passed
sub poll { $t->get_until(@_, 5) }

# ---- the tickets -------------------------------------------------------------

# literal members only
my $lit = token(
    'https://example.com/kind' => 'person',
    'https://example.com/jti' => 'jti-lit',
    'https://example.com/roles' => ['reader'],
    'https://example.com/dept' => 'sales',
    'org.unit' => 'emea',
    $URL => 'gold');

# literal members and, beside them, nested objects that the dotted paths
# reach, each with another value: the literal wins
my $both = token(
    'https://example.com/kind' => 'person',
    'https://example.com/jti' => 'jti-both',
    'https://example.com/roles' => ['reader'],
    'https://example.com/dept' => 'sales',
    'org.unit' => 'emea',
    $URL => 'gold',
    'https://example' => { 'com/kind' => 'robot', 'com/jti' => 'jti-nested',
                           'com/roles' => ['admin'],
                           'com/dept' => 'marketing' },
    org => { unit => 'apac' },
    'https://id' => { example => { 'com:8443/claims/v1' =>
                                   { tier => 'bronze' } } });

# the same, the values swapped: the nested ones would match, the literal
# ones do not, and the literal still wins
my $swapped = token(
    'https://example.com/kind' => 'robot',
    'https://example.com/jti' => 'jti-swapped',
    'https://example.com/roles' => ['admin'],
    'https://example.com/dept' => 'marketing',
    'org.unit' => 'apac',
    $URL => 'bronze',
    'https://example' => { 'com/kind' => 'person', 'com/jti' => 'jti-other',
                           'com/roles' => ['reader'],
                           'com/dept' => 'sales' },
    org => { unit => 'emea' },
    'https://id' => { example => { 'com:8443/claims/v1' =>
                                   { tier => 'gold' } } });

# nested objects only: the dotted paths are used
my $nested = token(
    'https://example' => { 'com/kind' => 'robot', 'com/jti' => 'jti-dotted',
                           'com/roles' => ['ops', 'admin'],
                           'com/dept' => 'sales' },
    org => { unit => 'emea' },
    'https://id' => { example => { 'com:8443/claims/v1' =>
                                   { tier => 'gold' } } });

# neither: no kind, no id
my $none = token(kind => 'user', jti => 'plain', dept => 'sales');

# ---- ticket_set_header, ticket_kind_claim, ticket_jti_claim, roles -----------

for my $pass ('', ' (cache hit)') {
    my $r = req('/fwd/x', $lit);
    is($r->{status}, 200, "literal only: 200$pass");
    is($r->{body}, 'dept=sales unit=emea tier=gold',
       "literal only: the backend gets the literal members$pass");
    is($r->{headers}{'x-kind'} . ' ' . $r->{headers}{'x-jti'} . ' '
       . $r->{headers}{'x-roles'}, 'user jti-lit reader',
       "literal only: kind, jti and roles from the literal members$pass");

    $r = req('/fwd/x', $both);
    is($r->{status}, 200, "literal and nested: 200$pass");
    is($r->{body}, 'dept=sales unit=emea tier=gold',
       "literal and nested: the backend gets the literal members$pass");
    is($r->{headers}{'x-kind'}, 'user',
       "literal and nested: kind from the literal member$pass");
    is($r->{headers}{'x-jti'}, 'jti-both',
       "literal and nested: jti from the literal member$pass");
    is($r->{headers}{'x-roles'}, 'reader',
       "literal and nested: roles from the literal member$pass");

    $r = req('/fwd/x', $swapped);
    is($r->{body}, 'dept=marketing unit=apac tier=bronze',
       "swapped: the backend gets the literal members$pass");
    is($r->{headers}{'x-kind'} . ' ' . $r->{headers}{'x-jti'} . ' '
       . $r->{headers}{'x-roles'}, 'service jti-swapped admin',
       "swapped: kind, jti and roles from the literal members$pass");

    $r = req('/fwd/x', $nested);
    is($r->{status}, 200, "nested only: 200$pass");
    is($r->{body}, 'dept=sales unit=emea tier=gold',
       "nested only: the backend gets the dotted paths' values$pass");
    is($r->{headers}{'x-kind'}, 'service',
       "nested only: kind from the dotted path$pass");
    is($r->{headers}{'x-jti'}, 'jti-dotted',
       "nested only: jti from the dotted path$pass");
    is($r->{headers}{'x-roles'}, 'ops,admin',
       "nested only: roles from the dotted path$pass");
    is($r->{headers}{'x-claim-org'}, '{"unit":"emea"}',
       "\$ticket_claim_org: the top-level member, as compact JSON$pass");

    $r = req('/fwd/x', $none);
    is($r->{status}, 401, "neither: 401$pass");
    is($r->{headers}{'x-reason'}, 'malformed',
       "neither: malformed (kind is not read from \"kind\")$pass");
}

# ---- ticket_require_claim ----------------------------------------------------

for my $pass ('', ' (cache hit)') {
    my %want = (
        '/req-dept/' => [ 200, 200, 403, 200 ],
        '/req-unit/' => [ 200, 200, 403, 200 ],
        '/req-tier/' => [ 200, 200, 403, 200 ],
    );
    for my $loc (sort keys %want) {
        my @w = @{$want{$loc}};
        my $i = 0;
        for my $c ([ 'literal only', $lit ], [ 'literal and nested', $both ],
                   [ 'swapped', $swapped ], [ 'nested only', $nested ])
        {
            my $r = req("${loc}x", $c->[1]);
            my $what = $w[$i] == 200 ? 'met' : 'claim_mismatch';
            is($r->{status} . ' ' . ($w[$i] == 200 ? $r->{body}
                                     : $r->{headers}{'x-reason'}),
               $w[$i] . ' ' . ($w[$i] == 200 ? 'dept= unit= tier='
                               : 'claim_mismatch'),
               "$loc $c->[0]: $what$pass");
            $i++;
        }
    }
}

# ---- ticket user: the kind the literal member gives --------------------------

is(req('/user/x', $both)->{status}, 200,
   'ticket user: literal "person" beside nested "robot": 200');
is(req('/user/x', $swapped)->{headers}{'x-reason'}, 'wrong_kind',
   'ticket user: literal "robot" beside nested "person": wrong_kind');

# ---- ticketctl revoke --ticket --jti-claim -----------------------------------

{
    # the nested id of $both is another ticket's literal id: revoking
    # $both must revoke "jti-both", never "jti-nested"
    my $bystander = token('https://example.com/kind' => 'person',
                          'https://example.com/jti' => 'jti-nested');
    is(req('/fwd/x', $bystander)->{status}, 200, 'bystander: 200');

    my ($rc, $o, $e) = $t->ticketctl('revoke', '--redis', "127.0.0.1:$redis",
                                     '--ticket', $both, '--jti-claim',
                                     'https://example.com/jti');
    is($rc, 0, 'revoke --jti-claim https://example.com/jti (literal and '
       . 'nested): exit 0') or diag($e);
    like($o, qr/\bjti-both\b/, 'revoke: the literal member\'s id');
    unlike($o, qr/jti-nested/, 'revoke: not the nested one');
    my $r = poll('/fwd/x', $both, 401);
    is($r->{status} . ' ' . $r->{headers}{'x-reason'}, '401 revoked',
       'revoked: the ticket is refused');

    ($rc, $o, $e) = $t->ticketctl('revoke', '--redis', "127.0.0.1:$redis",
                                  '--ticket', $nested, '--jti-claim',
                                  'https://example.com/jti');
    is($rc, 0, 'revoke --jti-claim https://example.com/jti (nested only): '
       . 'exit 0') or diag($e);
    like($o, qr/\bjti-dotted\b/, 'revoke: the dotted path\'s id');
    $r = poll('/fwd/x', $nested, 401);
    is($r->{status} . ' ' . $r->{headers}{'x-reason'}, '401 revoked',
       'revoked by the dotted path\'s id: the ticket is refused');

    is($t->redis_cmd('ZSCORE', 'ticket:revoked:jti', 'jti-both'), $now + 300,
       'the jti row: the literal id, with the ticket\'s exp');
    ok(!defined $t->redis_cmd('ZSCORE', 'ticket:revoked:jti', 'jti-nested'),
       'no row for the nested id');
    $r = req('/fwd/x', $bystander);
    is($r->{status}, 200, 'bystander (its literal id is the revoked '
       . 'ticket\'s nested one): still 200');
    is(req('/fwd/x', $lit)->{status}, 200, 'literal only: still 200');
}

$t->stop;

like($t->error_log,
     qr/\[info\] [^\n]*ticket denied: malformed: claim "https:\/\/example\.com\/kind" missing/,
     'error log: the literal name of the missing kind claim');

$t->done;
