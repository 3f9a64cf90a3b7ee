#!/usr/bin/perl
# Access tokens as identity providers issue them (SPEC "Tickets from
# identity providers"), each provider's recipe of docs/identity-providers.md
# as written there: Keycloak, Microsoft Entra ID, Okta, Auth0, AWS Cognito,
# Google and PayPal.  Tokens carry the providers' real claim names and
# structures (no "kind", Entra's "uti" for a jti, Auth0 and Google with no
# jti at all, Auth0's namespaced roles claim, Cognito's "cognito:groups"),
# are signed with keys generated here by the openssl command, and are
# verified against key sets shaped as the providers publish them (alg-less
# keys, an encryption key, an X25519 key beside the signing keys).
#
# For mapped kinds and "fp:" ids: $ticket_kind and $ticket_jti, the
# verified-ticket cache (a hit restores the same kind and id; a scope that
# reads claims differently never takes another scope's entry), audit
# records, and revocation with ticketctl revoke --ticket.  A malformed
# token says at info which member failed, never the token.

use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Time::HiRes qw(time sleep);
use JSON::PP;
use TicketTest;
use IdpToken qw(idp_token jwks_without_alg jwks_merge read_json);

plan(tests => 60);

my $t = TicketTest->new;
my $dir = $t->dir;
my $fixtures = "$FindBin::Bin/fixtures/jwks";

my $redis = $t->start_redis;

# ---- keys, published as each provider publishes them ----------------------

my %k;
$k{$_} = $t->keygen('RS256', "$_-1") for qw(kc entra okta auth0 cognito google);
$k{paypal} = $t->keygen('ES256', 'paypal-1');

# Keycloak: the realm's RSA-OAEP encryption key beside the signing key
{
    my $kc = read_json("$fixtures/keycloak.json")->{keys};
    my $sig = read_json($k{kc}{jwks})->{keys};
    $sig->[0]{kid} = 'kf46eDlB9jtz2PpktQ6NQSfRwoU_tT3NqxlI8C4MGvQ-test';
    jwks_merge("$dir/keycloak.json", [ $kc->[0] ], $sig);
}

# Entra ID: no alg, x5t and issuer members
jwks_merge("$dir/entra.json", jwks_without_alg($k{entra}{jwks},
    x5t => 'entra-1', issuer => 'https://login.microsoftonline.com/{tenantid}/v2.0'));

jwks_merge("$dir/okta.json", read_json($k{okta}{jwks})->{keys});
jwks_merge("$dir/auth0.json", read_json($k{auth0}{jwks})->{keys});
jwks_merge("$dir/google.json", read_json($k{google}{jwks})->{keys});

# Cognito: a base64 kid with "+", "/" and "="
{
    my $c = read_json($k{cognito}{jwks})->{keys};
    $c->[0]{kid} = 'vyVQH7UMjwYb+RtmU/A2vHhgITI=';
    jwks_merge("$dir/cognito.json", $c);
}

# PayPal: an alg-less EC key with "acr", an X25519 key, an RS256 key
{
    my $pp = read_json("$fixtures/paypal.json")->{keys};
    my $ec = jwks_without_alg($k{paypal}{jwks}, acr => ['client']);
    delete $ec->[0]{use};
    jwks_merge("$dir/paypal.json", [ $pp->[0], $pp->[7] ], $ec);
}

# ---- nginx: one location per recipe ---------------------------------------

my $ENTRA_TID = '9188040d-6c67-4c5b-b112-36a304b66dad';
my $ENTRA_API = '6e74172b-be56-4843-9ff4-e66a39bb12e3';
my $COGNITO_POOL = 'https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Ab12Cd34E';
my $COGNITO_CLIENT = '3n4b5urk1ft4fl3mg5e62d9ado';
my $GOOGLE_CLIENT = '1234567890-abc123.apps.googleusercontent.com';

$t->start(<<"EOF");
    ticket_redis 127.0.0.1:%%PORT:redis%% timeout=300ms;

    server {
        listen 127.0.0.1:%%PORT%%;

        ticket_audit_log %%DIR%%/logs/audit.log;
        ticket_audit_events denied over_privilege excess_privilege allowed;

        add_header X-Reason \$ticket_reason always;
        add_header X-Kind \$ticket_kind always;
        add_header X-Jti \$ticket_jti always;
        add_header X-Sub \$ticket_sub always;
        add_header X-Roles \$ticket_roles always;

        location /keycloak/ {
            ticket any;
            ticket_keys %%DIR%%/keycloak.json;
            ticket_issuer https://sso.example.com/realms/demo;
            ticket_audience orders-api;
            ticket_kind_claim client_id *=service default=user;
            ticket_roles_claim realm_access.roles;
            ticket_require_role orders-read;
            proxy_pass http://127.0.0.1:%%PORT:backend%%;
        }

        location /entra/ {
            ticket any;
            ticket_keys %%DIR%%/entra.json;
            ticket_issuer https://login.microsoftonline.com/$ENTRA_TID/v2.0;
            ticket_audience $ENTRA_API;
            ticket_kind_claim scp *=user default=service;
            ticket_jti_claim uti;
            ticket_roles_claim roles;
            ticket_max_lifetime 90m;
            proxy_pass http://127.0.0.1:%%PORT:backend%%;
        }

        # Entra ID's tokens without the recipe: every one malformed
        location /entra-unmapped/ {
            ticket any;
            ticket_keys %%DIR%%/entra.json;
            proxy_pass http://127.0.0.1:%%PORT:backend%%;
        }

        # the recipe without ticket_max_lifetime: 60 to 90 minutes is
        # longer than the default hour
        location /entra-1h/ {
            ticket any;
            ticket_keys %%DIR%%/entra.json;
            ticket_kind_claim scp *=user default=service;
            ticket_jti_claim uti;
            proxy_pass http://127.0.0.1:%%PORT:backend%%;
        }

        location /okta/ {
            ticket any;
            ticket_keys %%DIR%%/okta.json;
            ticket_issuer https://dev-133337.okta.com/oauth2/default;
            ticket_audience api://default;
            ticket_kind_claim uid *=user default=service;
            ticket_roles_claim groups;
            proxy_pass http://127.0.0.1:%%PORT:backend%%;
        }

        location /auth0/ {
            ticket any;
            ticket_keys %%DIR%%/auth0.json;
            ticket_issuer https://example.us.auth0.com/;
            ticket_audience https://api.example.com;
            ticket_kind_claim gty client-credentials=service *=user default=user;
            ticket_jti_claim jti optional;
            ticket_roles_claim https://example.com/roles;
            ticket_max_lifetime 24h;
            proxy_pass http://127.0.0.1:%%PORT:backend%%;
        }

        location /auth0-admin/ {
            ticket user;
            ticket_keys %%DIR%%/auth0.json;
            ticket_issuer https://example.us.auth0.com/;
            ticket_audience https://api.example.com;
            ticket_kind_claim gty client-credentials=service *=user default=user;
            ticket_jti_claim jti optional;
            ticket_roles_claim https://example.com/roles;
            ticket_require_role admin;
            ticket_max_lifetime 24h;
            proxy_pass http://127.0.0.1:%%PORT:backend%%;
        }

        location /cognito/ {
            ticket any;
            ticket_keys %%DIR%%/cognito.json;
            ticket_issuer $COGNITO_POOL;
            ticket_kind_claim username *=user default=service;
            ticket_roles_claim cognito:groups;
            ticket_require_claim token_use access;
            ticket_require_claim client_id $COGNITO_CLIENT;
            proxy_pass http://127.0.0.1:%%PORT:backend%%;
        }

        location /google/ {
            ticket user;
            ticket_keys %%DIR%%/google.json;
            ticket_issuer https://accounts.google.com;
            ticket_audience $GOOGLE_CLIENT;
            ticket_kind_claim iss *=user;
            ticket_jti_claim jti optional;
            ticket_require_claim hd example.com;
            proxy_pass http://127.0.0.1:%%PORT:backend%%;
        }

        location /paypal/ {
            ticket user;
            ticket_keys %%DIR%%/paypal.json;
            ticket_issuer https://www.paypal.com;
            ticket_audience AZDxjDScFpQtjWTOUtWKbyN;
            ticket_kind_claim iss *=user;
            ticket_jti_claim jti optional;
            proxy_pass http://127.0.0.1:%%PORT:backend%%;
        }

        location = /status {
            ticket_status;
        }
    }

    server {
        listen 127.0.0.1:%%PORT:backend%%;
        location / {
            return 200 "backend\\n";
        }
    }
EOF

my $now = int(time);
my $json = JSON::PP->new->canonical;

sub token {
    my ($p, $claims, %o) = @_;
    my $alg = $o{alg} // 'RS256';
    my $hdr = $o{header} // { alg => $alg, typ => 'JWT', kid => $o{kid} };
    return idp_token(ref $hdr ? $json->encode($hdr) : $hdr,
                     $json->encode($claims), $k{$p}{key}, $alg);
}

sub req { return $t->get($_[0], ticket => $_[1]) }

sub uuid { sprintf '%08x-%04x-4%03x-a%03x-%012x', map { int rand 2**$_ }
           32, 16, 12, 12, 48 }

# request until the status is $want or 5 s passed
sub poll { $t->get_until(@_, 5) }

# ---- Keycloak ----------------------------------------------------------------

{
    my $kid = 'kf46eDlB9jtz2PpktQ6NQSfRwoU_tT3NqxlI8C4MGvQ-test';
    my %base = (exp => $now + 300, iat => $now, auth_time => $now,
                iss => 'https://sso.example.com/realms/demo',
                aud => ['orders-api', 'account'], typ => 'Bearer',
                azp => 'web-app', scope => 'openid profile email',
                realm_access => { roles => ['offline_access', 'orders-read'] },
                resource_access => { account => { roles => ['view-profile'] } });
    my $user = token('kc', { %base, jti => uuid(), sub => uuid(),
                             sid => uuid(), session_state => uuid(),
                             preferred_username => 'alice',
                             email => 'alice@example.com' }, kid => $kid);
    my $svc = token('kc', { %base, jti => uuid(), sub => uuid(),
                            client_id => 'billing',
                            preferred_username => 'service-account-billing' },
                    kid => $kid);

    my $r = req('/keycloak/x', $user);
    is($r->{status}, 200, 'Keycloak: a user access token is accepted');
    is($r->{headers}{'x-kind'}, 'user', 'Keycloak: kind user');
    is($r->{headers}{'x-roles'}, 'offline_access,orders-read',
       'Keycloak: roles from realm_access.roles');
    $r = req('/keycloak/x', $svc);
    is($r->{status}, 200, 'Keycloak: a service-account token is accepted');
    is($r->{headers}{'x-kind'}, 'service',
       'Keycloak: client_id makes it kind service');
}

# ---- Microsoft Entra ID -----------------------------------------------------

my ($entra_user, $entra_uti);
{
    my $iss = "https://login.microsoftonline.com/$ENTRA_TID/v2.0";
    my $hdr = qq({"typ":"JWT","alg":"RS256","x5t":"entra-1","kid":"entra-1"});
    $entra_uti = 'AbCdEfGhIjKlMnOpQrStUv';
    my %base = (aud => $ENTRA_API, iss => $iss, iat => $now - 60,
                nbf => $now - 60, exp => $now - 60 + 75 * 60,
                aio => 'E2RgYJj4+f3/', azp => 'c44b4083-3bb0-49c1-b47d',
                azpacr => '0', tid => $ENTRA_TID, ver => '2.0',
                rh => '0.AR8AAAAAAAAAAAA.');
    $entra_user = token('entra', { %base, name => 'Alice',
        oid => uuid(), preferred_username => 'alice@contoso.com',
        scp => 'Orders.Read', roles => ['Orders.Reader'], sub => 'AAAAAAAAAAAAAAAAAAAAAIkzqFVrSaSaFHy782bbtaQ',
        uti => $entra_uti }, header => $hdr);
    my $app = token('entra', { %base, idtyp => 'app', oid => uuid(),
        roles => ['Orders.ReadWrite.All'], sub => uuid(),
        uti => 'ZyXwVuTsRqPoNmLkJiHgFe' }, header => $hdr);

    my $r = req('/entra/x', $entra_user);
    is($r->{status}, 200, 'Entra ID: a delegated access token (75 min) is '
       . 'accepted');
    is($r->{headers}{'x-kind'}, 'user', 'Entra ID: scp makes it kind user');
    is($r->{headers}{'x-jti'}, $entra_uti, 'Entra ID: $ticket_jti is uti');
    $r = req('/entra/x', $app);
    is($r->{status}, 200, 'Entra ID: an app-only token is accepted');
    is($r->{headers}{'x-kind'}, 'service',
       'Entra ID: no scp makes it kind service');
    is($r->{headers}{'x-roles'}, 'Orders.ReadWrite.All',
       'Entra ID: app roles');

    $r = req('/entra-1h/x', $entra_user);
    is($r->{headers}{'x-reason'}, 'lifetime_exceeded',
       'Entra ID: without ticket_max_lifetime 90m: lifetime_exceeded');

    # the cached entry of /entra/ is never taken where claims read otherwise
    $r = req('/entra/x', $entra_user);
    is($r->{status}, 200, 'Entra ID: again (a cache hit)');
    is($r->{headers}{'x-kind'} . ' ' . $r->{headers}{'x-jti'},
       "user $entra_uti", 'Entra ID: the cache restores kind and id');
    $r = req('/entra-unmapped/x', $entra_user);
    is($r->{status}, 401, 'Entra ID unmapped: 401');
    is($r->{headers}{'x-reason'}, 'malformed', 'Entra ID unmapped: malformed');
}

# ---- Okta --------------------------------------------------------------------

{
    my %base = (ver => 1, iss => 'https://dev-133337.okta.com/oauth2/default',
                aud => 'api://default', iat => $now, exp => $now + 3600,
                cid => '0oa1b2c3d4e5f6g7h8i9');
    my $user = token('okta', { %base, jti => 'AT.fm0VVI4Pvf4vhA6ttx8MsN7k',
        uid => '00u1a2b3c4d5e6f7g8h9', scp => ['openid', 'email'],
        auth_time => $now, sub => 'alice@example.com',
        groups => ['Everyone', 'Orders'] }, kid => 'okta-1');
    my $svc = token('okta', { %base, jti => 'AT.h7XyQ2', scp => ['orders'],
        sub => '0oa1b2c3d4e5f6g7h8i9' }, kid => 'okta-1');

    my $r = req('/okta/x', $user);
    is($r->{status}, 200, 'Okta: a user access token is accepted');
    is($r->{headers}{'x-kind'} . ' ' . $r->{headers}{'x-roles'},
       'user Everyone,Orders', 'Okta: uid makes it user, groups its roles');
    is($r->{headers}{'x-jti'}, 'AT.fm0VVI4Pvf4vhA6ttx8MsN7k', 'Okta: jti');
    $r = req('/okta/x', $svc);
    is($r->{headers}{'x-kind'}, 'service',
       'Okta: a client-credentials token is kind service');
}

# ---- Auth0 -------------------------------------------------------------------

my ($auth0_user, $auth0_fp);
{
    my %base = (iss => 'https://example.us.auth0.com/',
                aud => ['https://api.example.com',
                        'https://example.us.auth0.com/userinfo'],
                iat => $now, exp => $now + 86400,
                azp => 'x9Ahq0l2T7Vb3Yc5', scope => 'openid profile read:orders');
    $auth0_user = token('auth0', { %base, sub => 'auth0|64f1c2d3e4',
        permissions => ['read:orders'],
        'https://example.com/roles' => ['admin', 'support'] },
        kid => 'auth0-1');
    my $m2m = token('auth0', { %base, sub => 'x9Ahq0l2T7Vb3Yc5@clients',
        aud => 'https://api.example.com', gty => 'client-credentials',
        scope => 'read:orders' }, kid => 'auth0-1');

    my $r = req('/auth0/x', $auth0_user);
    is($r->{status}, 200, 'Auth0: a user access token (24 h, no jti) is '
       . 'accepted');
    is($r->{headers}{'x-roles'}, 'admin,support',
       'Auth0: roles from the claim "https://example.com/roles"');
    $auth0_fp = $r->{headers}{'x-jti'} // '';
    like($auth0_fp, qr/^fp:[0-9a-f]{32}$/, 'Auth0: $ticket_jti is the fp: id');
    $r = req('/auth0-admin/x', $auth0_user);
    is($r->{status}, 200, 'Auth0: ticket_require_role admin holds');

    $r = req('/auth0/x', $m2m);
    is($r->{headers}{'x-kind'}, 'service',
       'Auth0: gty client-credentials makes it kind service');
    $r = req('/auth0-admin/x', $m2m);
    is($r->{status}, 403, 'Auth0: a machine token at "ticket user": 403');
    is($r->{headers}{'x-reason'}, 'wrong_kind', 'Auth0: wrong_kind');

    # a cache hit gives the same id
    $r = req('/auth0/x', $auth0_user);
    is($r->{headers}{'x-jti'}, $auth0_fp, 'Auth0: the cache keeps the fp: id');
}

# ---- AWS Cognito -------------------------------------------------------------

{
    my $kid = 'vyVQH7UMjwYb+RtmU/A2vHhgITI=';
    my %base = (iss => $COGNITO_POOL, version => 2,
                client_id => $COGNITO_CLIENT, origin_jti => uuid(),
                event_id => uuid(), token_use => 'access',
                scope => 'aws.cognito.signin.user.admin', auth_time => $now,
                exp => $now + 3600, iat => $now, jti => uuid());
    my $user = token('cognito', { %base, sub => uuid(),
        'cognito:groups' => ['orders-admins'], username => 'alice' },
        kid => $kid);
    my $m2m = token('cognito', { %base, sub => $COGNITO_CLIENT,
        scope => 'orders/read', jti => uuid() }, kid => $kid);
    my $id = token('cognito', { %base, sub => uuid(), token_use => 'id',
        aud => $COGNITO_CLIENT, 'cognito:username' => 'alice',
        jti => uuid() }, kid => $kid);

    my $r = req('/cognito/x', $user);
    is($r->{status}, 200, 'Cognito: a user access token is accepted');
    is($r->{headers}{'x-kind'} . ' ' . $r->{headers}{'x-roles'},
       'user orders-admins', 'Cognito: kind user, roles cognito:groups');
    $r = req('/cognito/x', $m2m);
    is($r->{headers}{'x-kind'}, 'service',
       'Cognito: a client-credentials token is kind service');
    $r = req('/cognito/x', $id);
    is($r->{headers}{'x-reason'}, 'claim_mismatch',
       'Cognito: an ID token is refused (token_use)');
}

# ---- Google ------------------------------------------------------------------

{
    my $id = token('google', { iss => 'https://accounts.google.com',
        azp => $GOOGLE_CLIENT, aud => $GOOGLE_CLIENT,
        sub => '110169484474386276334', hd => 'example.com',
        email => 'alice@example.com', email_verified => JSON::PP::true,
        at_hash => 'X_B3Z3Fi4udZ2mf75RWo3w', name => 'Alice',
        iat => $now, exp => $now + 3600 }, kid => 'google-1');
    my $other = token('google', { iss => 'https://accounts.google.com',
        aud => $GOOGLE_CLIENT, sub => '1', email => 'bob@gmail.com',
        email_verified => JSON::PP::true, iat => $now,
        exp => $now + 3600 }, kid => 'google-1');

    my $r = req('/google/x', $id);
    is($r->{status}, 200, 'Google: an ID token is accepted');
    like($r->{headers}{'x-jti'} // '', qr/^fp:[0-9a-f]{32}$/,
         'Google: no jti, the fp: id');
    $r = req('/google/x', $other);
    is($r->{headers}{'x-reason'}, 'claim_mismatch',
       'Google: another hosted domain is refused');
}

# ---- PayPal ------------------------------------------------------------------

{
    my %base = (iss => 'https://www.paypal.com',
        sub => 'https://www.paypal.com/webapps/auth/identity/user/3Xk',
        aud => 'AZDxjDScFpQtjWTOUtWKbyN', user_id => 'https://www.paypal.com/webapps/auth/identity/user/3Xk',
        iat => $now, exp => $now + 900, auth_time => $now,
        nonce => 'n-0S6_WzA2Mj');
    my $id = token('paypal', \%base, alg => 'ES256', kid => 'paypal-1');
    # the same keys sign the ID tokens of every PayPal app
    my $other = token('paypal', { %base, aud => 'AYSq3RDGsmBLJE-otTkBtM' },
                      alg => 'ES256', kid => 'paypal-1');
    my $r = req('/paypal/x', $id);
    is($r->{status}, 200, 'PayPal: a token of the alg-less EC key (ES256) '
       . 'is accepted');
    is($r->{headers}{'x-kind'}, 'user', 'PayPal: kind user');
    $r = req('/paypal/x', $other);
    is($r->{status} . ' ' . $r->{headers}{'x-reason'}, '403 wrong_audience',
       'PayPal: an ID token issued to another app is refused');
}

# ---- revocation by ticketctl revoke --ticket ---------------------------------

{
    my ($rc, $o, $e) = $t->ticketctl('revoke', '--redis', "127.0.0.1:$redis",
                                     '--ticket', $auth0_user,
                                     '--reason', 'test');
    is($rc, 0, 'revoke --ticket (Auth0, no jti): exit 0') or diag($e);
    like($o, qr/\Q$auth0_fp\E/, 'revoke --ticket: the fp: id revoked');
    my $r = poll('/auth0/x', $auth0_user, 401);
    is($r->{headers}{'x-reason'}, 'revoked',
       'revoke --ticket: the Auth0 token is revoked');

    ($rc, $o, $e) = $t->ticketctl('revoke', '--redis', "127.0.0.1:$redis",
                                  '--ticket', $entra_user,
                                  '--jti-claim', 'uti');
    is($rc, 0, 'revoke --ticket --jti-claim uti (Entra ID): exit 0')
        or diag($e);
    like($o, qr/\Q$entra_uti\E/, 'revoke --ticket --jti-claim uti: the uti');
    $r = poll('/entra/x', $entra_user, 401);
    is($r->{headers}{'x-reason'}, 'revoked',
       'revoke --ticket --jti-claim uti: the Entra ID token is revoked');

    my $zset = $t->redis_cmd('ZSCORE', 'ticket:revoked:jti', $auth0_fp);
    is($zset, $now + 86400, 'the jti row is the fp: id with the token\'s exp');

    ($rc, $o, $e) = $t->ticketctl('revoke', '--redis', "127.0.0.1:$redis",
                                  '--ticket', 'abc.def.ghi');
    is($rc, 2, 'revoke --ticket of no ticket: exit 2');
    like($e, qr/^ticketctl: revoke: --ticket: malformed: /,
         'revoke --ticket of no ticket: says why');
    ($rc, $o, $e) = $t->ticketctl('revoke', '--redis', "127.0.0.1:$redis",
                                  '--jti-claim', 'uti', '--kid', 'k');
    is($rc, 2, '--jti-claim without --ticket: usage error');
}

# ---- metrics, audit records, the error log -----------------------------------

{
    my $r = $t->get('/status');
    my ($hits) = $r->{body} =~ /^ticket_cache_hits_total (\d+)/m;
    ok(($hits // 0) >= 2, 'the cache served mapped tokens ('
       . ($hits // 'none') . ' hits)');
}

my @records;
{
    my $t0 = time;
    while (time - $t0 < 5) {
        @records = map { $json->decode($_) }
                   grep { /\S/ } split /\n/, $t->read_file('logs/audit.log');
        last if grep { ($_->{reason} // '') eq 'revoked'
                       && ($_->{jti} // '') eq $entra_uti } @records;
        sleep 0.05;
    }
}

{
    my ($allowed) = grep { $_->{event} eq 'allowed'
                           && ($_->{jti} // '') eq $auth0_fp } @records;
    ok($allowed, 'audit: an allowed record with the fp: id');
    is($allowed && $allowed->{kind}, 'user', 'audit: its kind is the mapped '
       . 'kind');
    is($allowed && $allowed->{sub}, 'auth0|64f1c2d3e4', 'audit: its sub');
    my ($revoked) = grep { $_->{event} eq 'denied'
                           && $_->{reason} eq 'revoked'
                           && ($_->{jti} // '') eq $auth0_fp } @records;
    ok($revoked, 'audit: the revoked Auth0 token denied under its fp: id');
    my ($entra) = grep { $_->{event} eq 'denied' && $_->{reason} eq 'revoked'
                         && ($_->{jti} // '') eq $entra_uti } @records;
    ok($entra, 'audit: the revoked Entra ID token denied under its uti');
    my ($svc) = grep { $_->{event} eq 'over_privilege'
                       && $_->{reason} eq 'wrong_kind' } @records;
    is($svc && $svc->{kind}, 'service',
       'audit: the machine token\'s refusal records kind service');
    ok(!grep({ ($_->{event} eq 'denied' && $_->{reason} eq 'malformed'
                && defined $_->{kind}) } @records),
       'audit: a malformed token has no kind');
}

$t->stop;

{
    my $log = $t->error_log;
    like($log, qr/\[info\] [^\n]*ticket denied: malformed: claim "kind" missing/,
         'error log: the malformed Entra ID token says claim "kind" missing');
    my $payload = (split /\./, $entra_user)[1];
    ok(index($log, $payload) < 0, 'error log: never the token itself');
    like($log, qr/\[info\] [^\n]*ticket denied: lifetime_exceeded/,
         'error log: the 75-minute token without the recipe: '
         . 'lifetime_exceeded');
}

$t->done;
