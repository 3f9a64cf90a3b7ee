#!/usr/bin/perl
# ticket_backchannel_logout refusing what OpenID Connect Back-Channel
# Logout 1.0 section 2.6 says a relying party must refuse: an expired
# token, another audience, another issuer, no logout event, a nonce, neither
# sub nor sid.  Each is 400 with the OAuth error JSON, an info line in the
# error log, a "signal" audit record with outcome "refused", and nothing in
# Redis.  Then Redis down: 503, Retry-After, outcome "failed", nothing
# written; Redis back: the transmitter's retry of the same token is applied
# (its seen id was not written with the failed attempt).  Set up as
# t/signals.t: an HS256 key of the "provider", tokens signed here.

use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Time::HiRes qw(time sleep);
use Digest::SHA qw(sha256_hex);
use JSON::PP;
use TicketTest;
use SignalTest;

plan(tests => 113);

my $t = TicketTest->new;
my $dir = $t->dir;

$t->start_redis;

my $k = $t->keygen('ES256', 'k1');
my $secret = sig_secret($t);

my $ISS = 'https://idp.example.com/realms/acme';
my $AUD = 'gateway-client';
my $BCL = 'http://schemas.openid.net/event/backchannel-logout';
my $CAEP = 'https://schemas.openid.net/secevent/caep/event-type/';

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

        location = /logout {
            ticket_key idp HS256 %%DIR%%/idp.key;
            ticket_issuer $ISS;
            ticket_audience $AUD;
            ticket_backchannel_logout tenant=acme;
        }
    }

    server {
        listen 127.0.0.1:%%PORT:backend%%;
        location / { return 200 "ok\\n"; }
    }
EOF

sub ticket { sig_ticket($t, $k, @_) }
sub status_of { sig_status($t, $_[0]) }
sub wait_status { sig_wait_status($t, @_) }

# A logout token as Back-Channel Logout 1.0 section 2.4's example shapes
# it; claims given as undef are left out, extra ones added as raw JSON.
my $n = 0;

sub logout_token {
    my (%o) = @_;
    $n++;
    my %c = (iss => TicketTest::json_str($ISS),
             aud => TicketTest::json_str($AUD),
             iat => int(time), exp => int(time) + 120,
             jti => qq{"bcl-$$-$n"},
             events => sprintf('{%s:{}}', TicketTest::json_str($BCL)));
    for my $m (keys %o) {
        $c{$m} = $o{$m};
    }
    my $claims = '{' . join(',', map { TicketTest::json_str($_) . ":$c{$_}" }
                                 grep { defined $c{$_} }
                                 qw(iss sub aud iat exp jti sid events nonce))
               . '}';
    my $jti = defined $c{jti} ? decode_json("[$c{jti}]")->[0] : undef;
    return (TicketTest::hs_token('{"typ":"logout+jwt","alg":"HS256",'
                                 . '"kid":"idp"}', $claims, $secret), $jti);
}

sub logout { sig_logout($t, $_[0]) }

sub seen_key { 'ticket:seen:' . sha256_hex("$ISS\0$_[0]") }

# the signal records of a jti, polled for: the record is written as the
# answer is sent
sub records_of {
    my ($jti, $count) = @_;
    $count //= 1;
    my $end = time + 10;
    my @recs;
    while (time < $end) {
        @recs = grep { ($_->{jti} // '') eq $jti }
                map { decode_json($_) }
                grep { /"event":"signal"/ }
                split /\n/, $t->read_file('logs/audit.jsonl');
        return @recs if @recs >= $count;
        sleep 0.05;
    }
    return @recs;
}

sub log_has {
    my ($re) = @_;
    my $end = time + 10;
    while (time < $end) {
        return 1 if $t->error_log =~ $re;
        sleep 0.05;
    }
    return 0;
}

# ---- refusals -----------------------------------------------------------

my $xlen = $t->redis_cmd('XLEN', 'ticket:events');

my @cases = (
    { name => 'expired (exp and iat past)', who => 'exp',
      claims => { iat => int(time) - 3600, exp => int(time) - 1800 },
      error => 'invalid_request', why => 'token expired',
      reason => 'expired', verified => JSON::PP::false },
    { name => 'wrong audience', who => 'aud',
      claims => { aud => '"another-client"' },
      error => 'invalid_audience', why => 'audience not accepted',
      reason => 'wrong_audience' },
    { name => 'wrong audience (array)', who => 'auds',
      claims => { aud => '["another-client","third-client"]' },
      error => 'invalid_audience', why => 'audience not accepted',
      reason => 'wrong_audience' },
    { name => 'wrong issuer', who => 'iss',
      claims => { iss => '"https://idp.example.com/realms/other"' },
      error => 'invalid_issuer', why => 'issuer not accepted',
      reason => 'wrong_issuer' },
    { name => 'no back-channel logout event', who => 'ev',
      claims => { events => sprintf('{%s:{}}',
                                   TicketTest::json_str("${CAEP}session-revoked")) },
      error => 'invalid_request', why => 'no back-channel logout event',
      reason => 'malformed' },
    { name => 'no events claim', who => 'noev',
      claims => { events => undef },
      error => 'invalid_request', why => 'events',
      reason => 'malformed' },
    { name => 'a nonce', who => 'nonce',
      claims => { nonce => '"n-0S6_WzA2Mj"' },
      error => 'invalid_request', why => 'claim "nonce" present',
      reason => 'malformed' },
);

for my $c (@cases) {
    my $sub = "user-$c->{who}";
    my $sid = "sess-$c->{who}";
    my $tk = ticket(sub => $sub, sid => $sid);
    is(wait_status($tk, 200), 200, "$c->{name}: the session works before");

    my ($lt, $jti) = logout_token(sub => TicketTest::json_str($sub),
                                  sid => TicketTest::json_str($sid),
                                  %{$c->{claims}});
    my $r = logout($lt);
    is($r->{status}, 400, "$c->{name}: 400");
    my $body = eval { decode_json($r->{body}) } // {};
    is_deeply([ sort keys %$body ], [ 'error', 'error_description' ],
              "$c->{name}: the OAuth error JSON");
    is($body->{error}, $c->{error}, "$c->{name}: error $c->{error}");
    like($body->{error_description} // '', qr/\Q$c->{why}\E/,
         "$c->{name}: error_description says why");
    unlike($r->{body}, qr/eyJ/, "$c->{name}: the token is not echoed");

    ok(log_has(qr/\[info\][^\n]*ticket signal refused: \Q$c->{error}\E: [^\n]*\Q$c->{why}\E/),
       "$c->{name}: the error log says why");

    my @recs = records_of($jti);
    is(scalar @recs, 1, "$c->{name}: one signal record");
    my $rec = $recs[0] // {};
    is_deeply([ @$rec{qw(outcome status reason iss tenant)} ],
              [ 'refused', 400, $c->{reason},
                $c->{who} eq 'iss' ? 'https://idp.example.com/realms/other'
                                   : $ISS, 'acme' ],
              "$c->{name}: record outcome refused, 400, reason $c->{reason}");
    is($rec->{verified}, JSON::PP::false, "$c->{name}: record not verified")
        if defined $c->{verified};

    ok(!defined $t->redis_cmd('HGET', 'ticket:revoked:sid', $sid)
       && !defined $t->redis_cmd('HGET', 'ticket:revoked:sub', "acme/$sub"),
       "$c->{name}: no row in Redis");
    is($t->redis_cmd('EXISTS', seen_key($jti)), 0,
       "$c->{name}: its jti not remembered");
    is(status_of($tk), 200, "$c->{name}: the session still works");
}

# neither sub nor sid: names nothing to end
{
    my ($lt, $jti) = logout_token();
    my $r = logout($lt);
    is($r->{status}, 400, 'neither sub nor sid: 400');
    like($r->{body}, qr/^\{"error":"invalid_request","error_description":"neither \\"sub\\" nor \\"sid\\""\}/,
         'neither sub nor sid: invalid_request');
    ok(log_has(qr/ticket signal refused: invalid_request: neither "sub" nor "sid"/),
       'neither sub nor sid: the error log says why');
    my @recs = records_of($jti);
    is_deeply([ map { @$_{qw(outcome status reason)} } @recs ],
              [ 'refused', 400, 'malformed' ],
              'neither sub nor sid: one record, refused, malformed');
    is($t->redis_cmd('EXISTS', seen_key($jti)), 0,
       'neither sub nor sid: its jti not remembered');
}

is($t->redis_cmd('XLEN', 'ticket:events'), $xlen,
   'refusals: no ticket:events entry');
is_deeply($t->redis_cmd('KEYS', 'ticket:seen:*'), [],
          'refusals: no seen id at all');

# ---- Redis down: 503, nothing acknowledged -------------------------------

my $dora = ticket(sub => 'dora', sid => 'sess-down');
my $dora2 = ticket(sub => 'dora', sid => 'sess-kept');
is(wait_status($dora, 200), 200, 'the session works before Redis stops');

my ($lt, $jti) = logout_token(sub => '"dora"', sid => '"sess-down"');

$t->stop_redis;

my $r = logout($lt);
is($r->{status}, 503, 'Redis down: 503');
like($r->{raw_headers}, qr/^Retry-After: 1\r?$/mi, 'Redis down: Retry-After: 1');
like($r->{raw_headers}, qr/^Cache-Control: no-store\r?$/mi,
     'Redis down: Cache-Control: no-store');

my @recs = records_of($jti);
is_deeply([ map { @$_{qw(outcome status)} } @recs ], [ 'failed', 503 ],
          'Redis down: one record, outcome failed, 503');
is($recs[0]{sid}, 'sess-down', 'Redis down: the record names the session');
is($recs[0]{verified}, JSON::PP::true, 'Redis down: the token did verify');
ok(!(grep { /"outcome":"(?:applied|duplicate|audited)"/ }
     split /\n/, $t->read_file('logs/audit.jsonl')),
   'Redis down: nothing claimed applied');

# ---- Redis back: the transmitter's retry of the same token applies ------

$t->start_redis;
is($t->redis_cmd('EXISTS', seen_key($jti)), 0,
   'the failed attempt left no seen id');

# the gateway reconnects on its own: until then the retry is 503 again
my @st;
my $end = time + 20;
while (time < $end) {
    $r = logout($lt);
    push @st, $r->{status};
    last if $r->{status} != 503;
    sleep 0.1;
}
is($st[-1], 200, 'Redis back: the same token is accepted, 200');
ok(!(grep { $_ != 503 } @st[0 .. $#st - 1]),
   'until then: 503 only') or diag("statuses @st");

ok(defined $t->redis_cmd('HGET', 'ticket:revoked:sid', 'sess-down'),
   'the sid row is written');
is($t->redis_cmd('EXISTS', seen_key($jti)), 1, 'its jti is remembered');
is($t->redis_cmd('XLEN', 'ticket:events'), 1, 'one ticket:events entry');

# the first attempt and the retries until Redis was back: failed
@recs = records_of($jti, @st + 1);
is_deeply([ map { $_->{outcome} } @recs ],
          [ ('failed') x @st, 'applied' ],
          'records: failed, then applied (not duplicate)');

is(wait_status($dora, 401), 401, 'the session logged out: 401');
is(status_of($dora2), 200, 'her other session: 200');

# and once more: a duplicate, written once
is(logout($lt)->{status}, 200, 'retried again: 200');
@recs = records_of($jti, @st + 2);
is($recs[-1]{outcome}, 'duplicate', 'retried again: outcome duplicate');
is($t->redis_cmd('XLEN', 'ticket:events'), 1, 'still one ticket:events entry');

$t->done;
