#!/usr/bin/perl
# Signals from identity providers: ticket_ssf_receiver (RFC 8935 push of
# SETs, RFC 8417, with CAEP 1.0 and RISC 1.0 events) and
# ticket_backchannel_logout (OpenID Connect Back-Channel Logout 1.0).
# Tokens are shaped as the specifications' examples and signed here; every
# row of the SPEC's table is followed by a ticket the gateway now refuses.

use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Time::HiRes qw(time sleep);
use TicketTest;
use SignalTest;

plan(tests => 73);

my $t = TicketTest->new;
my $dir = $t->dir;

$t->start_redis;

my $k = $t->keygen('ES256', 'k1');
my $secret = sig_secret($t);

my $ISS = 'https://idp.example.com/123456789/';
my $AUD = 'https://gw.example.com/caep';
my $CAEP = 'https://schemas.openid.net/secevent/caep/event-type/';
my $RISC = 'https://schemas.openid.net/secevent/risc/event-type/';
my $BCL = 'http://schemas.openid.net/event/backchannel-logout';

# ---- configuration: checked by nginx -t ----------------------------------

my ($rc, $out) = $t->nginx_test(<<"EOF");
    ticket_redis 127.0.0.1:%%PORT:redis%%;
    server {
        listen 127.0.0.1:%%PORT%%;
        location = /ssf { ticket_ssf_receiver; }
    }
EOF
like($out, qr/"ticket_ssf_receiver" has no key/, 'nginx -t: a receiver without keys');

($rc, $out) = $t->nginx_test(<<"EOF");
    server {
        listen 127.0.0.1:%%PORT%%;
        location = /logout {
            ticket_key idp HS256 %%DIR%%/idp.key;
            ticket_issuer $ISS;
            ticket_audience $AUD;
            ticket_backchannel_logout;
        }
    }
EOF
like($out, qr/"ticket_backchannel_logout" writes revocations: add "ticket_redis"/,
     'nginx -t: a receiver without ticket_redis');

# an event token bound to no issuer or no audience: any relying party's
($rc, $out) = $t->nginx_test(<<"EOF");
    ticket_redis 127.0.0.1:%%PORT:redis%%;
    server {
        listen 127.0.0.1:%%PORT%%;
        location = /ssf {
            ticket_key idp HS256 %%DIR%%/idp.key;
            ticket_audience $AUD;
            ticket_ssf_receiver;
        }
    }
EOF
isnt($rc, 0, 'nginx -t fails: a receiver without ticket_issuer');
like($out, qr/\[emerg\][^\n]*"ticket_ssf_receiver" accepts tokens of any issuer: add "ticket_issuer" or "ticket_oidc_issuer" in \S+nginx.conf:\d+/,
     'nginx -t: the message names the receiver\'s line');

($rc, $out) = $t->nginx_test(<<"EOF");
    ticket_redis 127.0.0.1:%%PORT:redis%%;
    server {
        listen 127.0.0.1:%%PORT%%;
        ticket_issuer $ISS;
        location = /logout {
            ticket_key idp HS256 %%DIR%%/idp.key;
            ticket_backchannel_logout;
        }
    }
EOF
isnt($rc, 0, 'nginx -t fails: a receiver without ticket_audience');
like($out, qr/\[emerg\][^\n]*"ticket_backchannel_logout" accepts tokens for any audience: add "ticket_audience" in \S+nginx.conf:\d+/,
     'nginx -t: an inherited issuer, but no audience');

($rc, $out) = $t->nginx_test(<<"EOF");
    ticket_redis 127.0.0.1:%%PORT:redis%%;
    server {
        listen 127.0.0.1:%%PORT%%;
        location = /ssf {
            ticket_key idp HS256 %%DIR%%/idp.key;
            ticket_ssf_receiver tenant=a/b;
        }
    }
EOF
like($out, qr/invalid parameter "tenant=a\/b"/, 'nginx -t: a tenant holding "/"');

$t->start(<<"EOF", workers => 2);
    ticket_redis 127.0.0.1:%%PORT:redis%% timeout=500ms;
    ticket_revocation_max_stale 5s;

    server {
        listen 127.0.0.1:%%PORT%%;
        ticket_audit_log %%DIR%%/logs/audit.jsonl;

        location /x/ {
            ticket user;
            ticket_keys %%DIR%%/keys/k1.jwks;
            proxy_pass http://127.0.0.1:%%PORT:backend%%;
        }

        location = /ssf {
            ticket_key idp HS256 %%DIR%%/idp.key;
            ticket_issuer $ISS;
            ticket_audience $AUD;
            ticket_ssf_receiver tenant=acme;
        }

        location = /logout {
            ticket_key idp HS256 %%DIR%%/idp.key;
            ticket_issuer $ISS;
            ticket_audience $AUD;
            ticket_backchannel_logout tenant=acme;
        }

        location = /ssf-dry {
            ticket_key idp HS256 %%DIR%%/idp.key;
            ticket_issuer $ISS;
            ticket_audience $AUD;
            ticket_mode audit;
            ticket_ssf_receiver tenant=acme;
        }
    }

    server {
        listen 127.0.0.1:%%PORT:backend%%;
        location / { return 200 "ok\\n"; }
    }
EOF

sub ticket { sig_ticket($t, $k, @_) }
sub status_of { sig_status($t, $_[0]) }
sub wait_status { sig_wait_status($t, @_, 5) }

my $n = 0;

sub set_token {
    my ($claims, %o) = @_;
    my $header = '{"typ":"secevent+jwt","alg":"HS256","kid":"idp"}';
    return TicketTest::hs_token($header, $claims, $o{secret} // $secret);
}

# a SET as CAEP 1.0's examples shape it: sub_id, txn, one event
sub set_claims {
    my ($event, $payload, %o) = @_;
    $n++;
    my $iat = $o{iat} // time;
    my $sub_id = defined $o{sub_id} ? qq{"sub_id":$o{sub_id},} : '';
    my $exp = defined $o{exp} ? qq{"exp":$o{exp},} : '';
    return sprintf('{"iss":%s,"jti":"24c63fb56e5a2d77a6b5%012d","iat":%d,'
                   . '"aud":%s,"txn":"8675309",%s%s"events":{%s:%s}}',
                   TicketTest::json_str($o{iss} // $ISS), $n + $$, int $iat,
                   TicketTest::json_str($o{aud} // $AUD), $exp, $sub_id,
                   TicketTest::json_str($event), $payload);
}

sub post { sig_post($t, @_) }

sub push_set { post($_[1] // '/ssf', 'application/secevent+jwt', $_[0]) }

sub logout { sig_logout($t, $_[0]) }

sub opaque { sprintf('{"format":"opaque","id":%s}', TicketTest::json_str($_[0])) }
sub iss_sub {
    sprintf('{"format":"iss_sub","iss":%s,"sub":%s}',
            TicketTest::json_str($ISS), TicketTest::json_str($_[0]));
}

# ---- CAEP session-revoked: one session, the other keeps working ----------

my $phone = ticket(sub => 'alice', sid => 'dMTlD|1600802906337.16|16008.16');
my $laptop = ticket(sub => 'alice', sid => 'laptop-7');
is(wait_status($phone, 200), 200, 'the phone session works');

my $r = push_set(set_token(set_claims($CAEP . 'session-revoked',
    sprintf('{"event_timestamp":%d}', time + 1),
    sub_id => opaque('dMTlD|1600802906337.16|16008.16'))));
is($r->{status}, 202, 'session-revoked (opaque): 202 Accepted');
is($r->{body}, '', 'no body');
is(wait_status($phone, 401), 401, 'the revoked session: 401');
is(status_of($laptop), 200, 'the same person\'s other session still works');

my $h = $t->redis_cmd('HGET', 'ticket:revoked:sid',
                      'dMTlD|1600802906337.16|16008.16');
ok(defined $h && $h >= time - 10, 'sid row in Redis');

my $entries = $t->redis_cmd('XRANGE', 'ticket:events', '-', '+');
my %last = @{$entries->[-1][1]};
is($last{actor}, "ssf:$ISS", 'stream entry actor ssf:ISSUER');
is($last{reason}, $CAEP . 'session-revoked', 'stream entry reason: the event type');
is($last{list}, 'sid', 'stream entry list sid');

# ---- complex subject: the session's row ----------------------------------

my $c1 = ticket(sub => 'bea', sid => 'sess-complex');
my $c2 = ticket(sub => 'bea', sid => 'sess-other');
$r = push_set(set_token(set_claims($CAEP . 'session-revoked', '{}',
    sub_id => sprintf('{"format":"complex","user":%s,"session":%s}',
                      iss_sub('bea'), opaque('sess-complex')))));
is($r->{status}, 202, 'session-revoked (complex user+session): 202');
is(wait_status($c1, 401), 401, 'that session: 401');
is(status_of($c2), 200, 'her other session: 200');

# ---- CAEP session-revoked without a session: the subject's row -----------

my $cy = ticket(sub => 'cyril', sid => 's-c1');
$r = push_set(set_token(set_claims($CAEP . 'session-revoked', '{}',
                                   sub_id => iss_sub('cyril'))));
is($r->{status}, 202, 'session-revoked (iss_sub): 202');
is(wait_status($cy, 401), 401, 'every ticket of the subject: 401');
ok(defined $t->redis_cmd('HGET', 'ticket:revoked:sub', 'acme/cyril'),
   'sub row TENANT/SUB with tenant= of the receiver');

# ---- RISC: account-disabled, account-purged, credential-compromise,
#      sessions-revoked: the subject's row (RISC 1.0: subject in the event)

for my $ev (qw(account-disabled account-purged credential-compromise
               sessions-revoked)) {
    my $who = "risc-$ev";
    my $tk = ticket(sub => $who);
    my $payload = sprintf('{"subject":{"format":"iss_sub","iss":%s,"sub":%s}%s}',
                          TicketTest::json_str($ISS),
                          TicketTest::json_str($who),
                          $ev eq 'account-disabled'
                          ? ',"reason":"hijacking"' : '');
    $r = push_set(set_token(set_claims($RISC . $ev, $payload)));
    is($r->{status}, 202, "RISC $ev: 202");
    is(wait_status($tk, 401), 401, "RISC $ev: the subject's ticket 401");
}

# ---- recorded only: credential-change, token-claims-change ---------------

my $dan = ticket(sub => 'dan');
my $xlen = $t->redis_cmd('XLEN', 'ticket:events');
for my $ev (qw(credential-change token-claims-change)) {
    $r = push_set(set_token(set_claims($CAEP . $ev,
        '{"credential_type":"password","change_type":"update",'
        . '"event_timestamp":' . int(time) . '}',
        sub_id => iss_sub('dan'))));
    is($r->{status}, 202, "CAEP $ev: 202");
}
is($t->redis_cmd('XLEN', 'ticket:events'), $xlen, 'recorded only: no stream entry');
is(status_of($dan), 200, 'recorded only: the ticket still works');

# ---- back-channel logout: sid row, or sub row ----------------------------

my $lo1 = ticket(sub => '248289761001', sid => '08a5019c-17e1-4977-8f42-65a12843ea02');
my $lo2 = ticket(sub => '248289761001', sid => 'other-rp-session');
my $lt = TicketTest::hs_token('{"typ":"logout+jwt","alg":"HS256","kid":"idp"}',
    sprintf('{"iss":%s,"sub":"248289761001","aud":%s,"iat":%d,"exp":%d,'
            . '"jti":"bWJq-%d","sid":"08a5019c-17e1-4977-8f42-65a12843ea02",'
            . '"events":{%s:{}}}',
            TicketTest::json_str($ISS), TicketTest::json_str($AUD),
            time, time + 120, $$, TicketTest::json_str($BCL)), $secret);
$r = logout($lt);
is($r->{status}, 200, 'back-channel logout with sid: 200');
like($r->{raw_headers}, qr/Cache-Control: no-store/i, 'Cache-Control: no-store');
is(wait_status($lo1, 401), 401, 'logout sid: that session 401');
is(status_of($lo2), 200, 'logout sid: another session 200');

my $lo3 = ticket(sub => 'erik', sid => 'e-1');
$lt = TicketTest::hs_token('{"typ":"logout+jwt","alg":"HS256","kid":"idp"}',
    sprintf('{"iss":%s,"sub":"erik","aud":%s,"iat":%d,"exp":%d,'
            . '"jti":"bWJr-%d","events":{%s:{}}}',
            TicketTest::json_str($ISS), TicketTest::json_str($AUD),
            time, time + 120, $$, TicketTest::json_str($BCL)), $secret);
$r = logout($lt);
is($r->{status}, 200, 'back-channel logout with sub only: 200');
is(wait_status($lo3, 401), 401, 'logout sub: the subject 401');
is($t->redis_cmd('HGET', 'ticket:revoked:sub', 'acme/erik') > 0, 1,
   'logout sub row acme/erik');

# a replayed logout token: accepted, applied once
$xlen = $t->redis_cmd('XLEN', 'ticket:events');
is(logout($lt)->{status}, 200, 'replayed logout token: 200');
is($t->redis_cmd('XLEN', 'ticket:events'), $xlen, 'replay: no second entry');

# ---- replays of a SET ----------------------------------------------------

my $set = set_token(set_claims($CAEP . 'session-revoked', '{}',
                               sub_id => opaque('replayed')));
is(push_set($set)->{status}, 202, 'first delivery: 202');
$xlen = $t->redis_cmd('XLEN', 'ticket:events');
is(push_set($set)->{status}, 202, 'retried delivery: 202');
is(push_set($set)->{status}, 202, 'again: 202');
is($t->redis_cmd('XLEN', 'ticket:events'), $xlen, 'applied once');

# ---- refusals: RFC 8935 error JSON, the SET never echoed ------------------

my $ok_claims = set_claims($CAEP . 'session-revoked', '{}',
                           sub_id => opaque('nope'));
my $forged = set_token($ok_claims, secret => 'not-the-secret');
$r = push_set($forged);
is($r->{status}, 400, 'forged: 400');
like($r->{body}, qr/^\{"err":"invalid_key","description":"[^"]+"\}/, 'forged: invalid_key');
unlike($r->{body}, qr/\Q$forged\E|eyJ/, 'the SET is not echoed');

$r = push_set(set_token(set_claims($CAEP . 'session-revoked', '{}',
                                   sub_id => opaque('nope'),
                                   iat => time - 600, exp => time - 300)));
is($r->{status}, 400, 'expired: 400');
like($r->{body}, qr/"err":"invalid_request"/, 'expired: invalid_request');

$r = push_set(set_token(set_claims($CAEP . 'session-revoked', '{}',
                                   sub_id => opaque('nope'),
                                   aud => 'https://other.example/')));
like($r->{body}, qr/"err":"invalid_audience"/, 'wrong audience: invalid_audience');

$r = push_set(set_token(set_claims($CAEP . 'session-revoked', '{}',
                                   sub_id => opaque('nope'),
                                   iss => 'https://evil.example/')));
like($r->{body}, qr/"err":"invalid_issuer"/, 'wrong issuer: invalid_issuer');

$r = push_set(set_token(set_claims($CAEP . 'session-revoked', '{}',
    sub_id => '{"format":"email","email":"user@example.com"}')));
is($r->{status}, 400, 'email subject: 400');
like($r->{body}, qr/"err":"invalid_request"/, 'email subject: invalid_request');

# a ticket is not a SET
$r = push_set(ticket(sub => 'mallory'));
like($r->{body}, qr/"err":"invalid_request"/, 'an access ticket: invalid_request');

$r = post('/ssf', 'application/json', set_token($ok_claims));
is($r->{status}, 400, 'wrong Content-Type: 400');
is($t->get('/ssf')->{status}, 405, 'GET: 405');

$r = post('/logout', 'application/x-www-form-urlencoded',
          'logout_token=' . $forged);
like($r->{body}, qr/^\{"error":"invalid_key","error_description":/,
     'logout refused: the OAuth error JSON');

# ---- ticket_mode audit: recorded, answered, nothing revoked --------------

my $gus = ticket(sub => 'gus');
$r = push_set(set_token(set_claims($RISC . 'account-disabled', '{}',
                                   sub_id => iss_sub("gus"))),
              '/ssf-dry');
is($r->{status}, 202, 'audit mode: 202');
ok(!defined $t->redis_cmd('HGET', 'ticket:revoked:sub', 'acme/gus'),
   'audit mode: nothing revoked');

# ---- Redis down: 503, the transmitter retries ----------------------------

$t->stop_redis;
$r = push_set(set_token(set_claims($RISC . 'account-disabled', '{}',
                                   sub_id => iss_sub('hank'))));
is($r->{status}, 503, 'Redis down: 503');

# ---- audit records -------------------------------------------------------

$t->stop;
my @recs = grep { /"event":"signal"/ } split /\n/, $t->read_file('logs/audit.jsonl');
ok(@recs >= 20, 'signal records written');
ok((grep { /"outcome":"applied"/ && /"signal":"\Q${CAEP}\Esession-revoked"/
           && /"iss":"\Q$ISS\E"/ } @recs), 'applied record: transmitter, event type');
ok((grep { /"outcome":"duplicate"/ } @recs), 'duplicate recorded');
ok((grep { /"outcome":"recorded"/ && /credential-change/ && /"sub":"dan"/ } @recs),
   'recorded-only event: subject and type');
ok((grep { /"outcome":"refused"/ && /"status":400/ && /"verified":false/ } @recs),
   'refused record');
ok((grep { /"outcome":"audited"/ && /"enforced":false/ } @recs), 'audited record');
ok((grep { /"outcome":"failed"/ && /"status":503/ } @recs), 'failed record');

my ($arc, $aout) = $t->ticketctl('audit', "$dir/logs/audit.jsonl",
                                 '--event', 'signal', '--json');
is($arc, 0, 'ticketctl audit --event signal');
is(scalar(grep { /"event":"signal"/ } split /\n/, $aout), scalar @recs,
   'ticketctl audit lists every signal record');

$t->done;
