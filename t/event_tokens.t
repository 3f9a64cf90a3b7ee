#!/usr/bin/perl
# Token confusion (RFC 8417, 4.2; OpenID Connect Back-Channel Logout 1.0):
# a security event token or a logout token, signed by the very key,
# issuer and audience the gateway trusts, is never taken for a ticket.
# "typ" secevent+jwt or logout+jwt (with or without "application/", any
# case), or an "events" claim, is "malformed" (401, an audit record, the
# error log saying why), even where ticket_kind_claim gives tickets
# without a kind a default.  The back-channel logout endpoint still
# takes its logout tokens.

use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use TicketTest qw(hs_token);
use JSON::PP;
use Time::HiRes qw(time);

plan(tests => 30);

my $t = TicketTest->new;
my $secret = 'event-tokens-hmac-secret-0123456789abcdef';
$t->write_file('hs.secret', "$secret\n");

$t->start(<<'EOF');
    log_format t '$arg_c $status $ticket_reason';
    ticket_key hs1 HS256 %%DIR%%/hs.secret;
    ticket_issuer https://idp.example;
    ticket_audience app;
    ticket_audit_log %%DIR%%/logs/audit.jsonl;

    server {
        listen 127.0.0.1:%%PORT%%;
        access_log %%DIR%%/logs/x.log t;

        # an identity provider's access tokens carry no kind
        location /idp/ {
            ticket user;
            ticket_kind_claim kind default=user;
            proxy_pass http://127.0.0.1:%%PORT:backend%%;
        }

        location /api/ {
            ticket user;
            proxy_pass http://127.0.0.1:%%PORT:backend%%;
        }
    }

    server {
        listen 127.0.0.1:%%PORT:backend%%;
        access_log off;
        location / {
            return 200 "backend\n";
        }
    }
EOF

my $now = int(time);
my $n = 0;
my $bcl = 'http://schemas.openid.net/event/backchannel-logout';

sub tok {
    my ($typ, %c) = @_;
    $n++;
    my $h = { alg => 'HS256', kid => 'hs1' };
    $h->{typ} = $typ if defined $typ;
    my $claims = { iss => 'https://idp.example', aud => 'app',
                   sub => 'alice', iat => $now, exp => $now + 300,
                   jti => "j-$n", %c };
    delete $claims->{$_} for grep { !defined $claims->{$_} } keys %$claims;
    my $js = JSON::PP->new->canonical;
    return hs_token($js->encode($h), $js->encode($claims), $secret);
}

my @cases;

sub case {
    my ($name, $uri, $ticket, $status, $reason) = @_;
    my $r = $t->get("$uri?c=$name", ticket => $ticket);
    is($r->{status}, $status, "$name: $status");
    push @cases, [$name, "$status $reason"];
}

# access tickets, as before

case('idp-access', '/idp/x', tok('at+jwt'), 200, 'ok');
case('idp-jwt', '/idp/x', tok('JWT'), 200, 'ok');
case('ticket', '/api/x', tok(undef, kind => 'user'), 200, 'ok');

# a logout token (OIDC BCL 1.0, 2.4): typ logout+jwt, events, sid

my %logout = (sid => 's-1', events => { $bcl => {} });

case('logout', '/idp/x', tok('logout+jwt', %logout), 401, 'malformed');
case('logout-app', '/idp/x', tok('application/logout+jwt', %logout), 401,
     'malformed');
case('logout-no-typ', '/idp/x', tok(undef, %logout), 401, 'malformed');
case('logout-typ-jwt', '/idp/x', tok('JWT', %logout), 401, 'malformed');
case('logout-with-kind', '/api/x', tok('logout+jwt', %logout,
                                       kind => 'user'),
     401, 'malformed');

# a security event token (RFC 8417): typ secevent+jwt, events

my %set = (events => {
    'https://schemas.openid.net/secevent/caep/event-type/session-revoked'
        => { subject => { format => 'opaque', id => 's-1' } } });

case('set', '/idp/x', tok('secevent+jwt', %set), 401, 'malformed');
case('set-case', '/idp/x', tok('Application/SecEvent+JWT', %set), 401,
     'malformed');
case('set-typ-only', '/idp/x', tok('secevent+jwt'), 401, 'malformed');
case('set-events-only', '/idp/x', tok(undef, %set), 401, 'malformed');
case('set-with-kind', '/api/x', tok(undef, %set, kind => 'user'), 401,
     'malformed');

$t->stop;

my %log;
for my $line (split /\n/, $t->read_file('logs/x.log')) {
    my ($c, $rest) = split / /, $line, 2;
    $log{$c} = $rest;
}

for my $c (@cases) {
    is($log{$c->[0]}, $c->[1], "log $c->[0]: $c->[1]");
}

my @recs = grep { /"event":"denied"/ && /"reason":"malformed"/ }
           split /\n/, $t->read_file('logs/audit.jsonl');
is(scalar @recs, 10, 'audit: a denied malformed record for each');

like($t->error_log, qr/ticket denied: malformed: header "typ" is logout\+jwt/,
     'error log: the logout token\'s typ');
like($t->error_log, qr/ticket denied: malformed: claim "events" present/,
     'error log: the events claim');

$t->done;
