#!/usr/bin/perl
# ticketctl ssf poll: RFC 8936 poll delivery from a transmitter the test
# runs (real HTTP on loopback); each SET verified, its rows written into
# the gateway's Redis, acknowledged only once written; a bad SET answered
# in setErrs.  And ticketctl ssf config.

use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Time::HiRes qw(time sleep);
use JSON::PP;
use TicketTest;
use SsfTransmitter;

plan(tests => 19);

my $t = TicketTest->new;
my $dir = $t->dir;

my $k = $t->keygen('ES256', 'k1');
my $idp = $t->keygen('HS256', 'idp');
(my $secret = $t->read_file('keys/idp.key')) =~ s/\n+\z//;

my $ISS = 'https://idp.example.com/';
my $AUD = 'https://gw.example.com/';
my $CAEP = 'https://schemas.openid.net/secevent/caep/event-type/';
my $RISC = 'https://schemas.openid.net/secevent/risc/event-type/';

# ---- ssf config ----------------------------------------------------------

my ($rc, $out, $err) = $t->ticketctl('ssf', 'config', '--endpoint',
                                     'https://gw.example.com/ssf');
is($rc, 0, 'ssf config: exit 0');
my $conf = eval { decode_json($out) } // {};
is($conf->{delivery}{method}, 'urn:ietf:rfc:8935', 'push: urn:ietf:rfc:8935');
is($conf->{delivery}{endpoint_url}, 'https://gw.example.com/ssf', 'endpoint_url');
ok((grep { $_ eq "${RISC}account-disabled" } @{$conf->{events_requested}})
   && (grep { $_ eq "${CAEP}session-revoked" } @{$conf->{events_requested}}),
   'events_requested');
($rc, $out) = $t->ticketctl('ssf', 'config', '--delivery', 'poll');
like($out, qr/"urn:ietf:rfc:8936"/, 'poll: urn:ietf:rfc:8936');
($rc) = $t->ticketctl('ssf', 'config', '--delivery', 'carrier-pigeon');
is($rc, 2, 'unknown delivery: usage error');

# ---- poll ----------------------------------------------------------------

$t->start_redis;

$t->start(<<"EOF");
    ticket_redis 127.0.0.1:%%PORT:redis%%;

    server {
        listen 127.0.0.1:%%PORT%%;

        location /x/ {
            ticket user;
            ticket_keys %%DIR%%/keys/k1.jwks;
            proxy_pass http://127.0.0.1:%%PORT:backend%%;
        }
    }

    server {
        listen 127.0.0.1:%%PORT:backend%%;
        location / { return 200 "ok\\n"; }
    }
EOF

sub ticket {
    $t->mint(key => $k->{key}, kid => 'k1', kind => 'user', tenant => 'acme',
             ttl => '10m', @_);
}

sub wait_status {
    my ($ticket, $want) = @_;
    my $end = time + 5;
    my $st = 0;
    while (time < $end) {
        $st = $t->get('/x/', ticket => $ticket)->{status};
        return $st if $st == $want;
        sleep 0.02;
    }
    return $st;
}

sub set_of {
    my ($jti, $event, $sub_id, $key) = @_;
    my $claims = sprintf('{"iss":"%s","jti":"%s","iat":%d,"aud":"%s",'
                         . '"sub_id":%s,"events":{"%s":{}}}',
                         $ISS, $jti, time, $AUD, $sub_id, $event);
    return TicketTest::hs_token('{"typ":"secevent+jwt","alg":"HS256",'
                                . '"kid":"idp"}', $claims, $key // $secret);
}

my $pat = ticket(sub => 'pat', sid => 'p-1');
my $phone = ticket(sub => 'quinn', sid => 'q-phone');
my $laptop = ticket(sub => 'quinn', sid => 'q-laptop');
is(wait_status($pat, 200), 200, 'before: the ticket works');

my %sets = (
    'jti-disabled' => set_of('jti-disabled', "${RISC}account-disabled",
                             qq{{"format":"iss_sub","iss":"$ISS","sub":"pat"}}),
    'jti-session'  => set_of('jti-session', "${CAEP}session-revoked",
                             '{"format":"opaque","id":"q-phone"}'),
    'jti-forged'   => set_of('jti-forged', "${RISC}account-disabled",
                             qq{{"format":"iss_sub","iss":"$ISS","sub":"x"}},
                             'not-the-secret'),
);

my $port = $t->port('transmitter');
my $log = "$dir/transmitter.log";
my $tx = SsfTransmitter->start(port => $port, log => $log, sets => \%sets);

my @poll = ('ssf', 'poll', '--url', "http://127.0.0.1:$port/poll",
            '--keys', $idp->{jwks}, '--iss', $ISS, '--aud', $AUD,
            '--tenant', 'acme', '--max-events', 2);

# Redis that is not there: nothing acknowledged
my $dead = $t->port('dead');
($rc, $out, $err) = $t->ticketctl(@poll, '--redis', "127.0.0.1:$dead");
is($rc, 2, 'Redis down: exit 2');
my @reqs = map { decode_json($_) } grep { length } split /\n/, $t->read_file('transmitter.log');
ok(!(grep { @{$_->{ack}} } @reqs), 'Redis down: nothing acknowledged');

($rc, $out, $err) = $t->ticketctl(@poll, '--redis', '127.0.0.1:' . $t->port('redis'));
is($rc, 0, 'poll: exit 0') or diag($err);
like($out, qr/3 events polled/, 'every SET polled');

@reqs = map { decode_json($_) } grep { length } split /\n/, $t->read_file('transmitter.log');
my %acked = map { $_ => 1 } map { @{$_->{ack}} } @reqs;
my %errs = map { %{$_->{setErrs} // {}} } @reqs;
ok($acked{'jti-disabled'} && $acked{'jti-session'}, 'written SETs acknowledged');
ok(!$acked{'jti-forged'}, 'the forged SET is not acknowledged');
is($errs{'jti-forged'}{err}, 'invalid_key', 'the forged SET in setErrs');
is($reqs[-1]{returnImmediately}, JSON::PP::true, 'returnImmediately');

is(wait_status($pat, 401), 401, 'RISC account-disabled by poll: 401');
is(wait_status($phone, 401), 401, 'CAEP session-revoked by poll: 401');
is($t->get('/x/', ticket => $laptop)->{status}, 200,
   'the same person\'s other session still works');

$tx->stop;
$t->done;
