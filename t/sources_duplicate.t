#!/usr/bin/perl
# ticket_token: a source present more than once is "malformed", whichever
# copy is good, so a backend that reads the ticket itself can never act
# on a copy the gateway did not verify.  Names are compared as nginx
# compares them (header, cookie and argument names case-insensitively);
# an argument name percent-encoded still names the same argument for a
# backend that decodes it, so it counts too.  Tickets in two different
# sources: t/sources_two.t.

use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use TicketTest;

plan(tests => 40);

my $t = TicketTest->new;
my $k = $t->keygen('ES256', 'k1');
my $other = $t->keygen('ES256', 'k2');      # not configured

$t->start(<<'EOF2');
    log_format t '$arg_c $status $ticket_reason';
    ticket_keys %%DIR%%/keys/k1.jwks;
    underscores_in_headers on;

    server {
        listen 127.0.0.1:%%PORT%%;
        access_log %%DIR%%/logs/x.log t;

        location /s/ {
            ticket any;
            ticket_token header:X-Ticket cookie:tk arg:t;
            proxy_pass http://127.0.0.1:%%PORT:backend%%;
        }

        location /default/ {
            ticket any;
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
EOF2

my $good = $t->mint(key => $k->{key}, kid => 'k1', sub => 'alice',
                    kind => 'user');
my $forged = $t->mint(key => $other->{key}, kid => 'k1', sub => 'mallory',
                      kind => 'user');

my @cases;

sub case {
    my ($name, $uri, $hdrs, $status, $reason) = @_;
    my $sep = $uri =~ /\?/ ? '&' : '?';
    my $r = $t->get("$uri${sep}c=$name", headers => $hdrs);
    is($r->{status}, $status, "$name: $status");
    push @cases, [$name, "$status $reason"];
}

# one copy: as before

case('one-header', '/s/x', ['X-Ticket' => $good], 200, 'ok');
case('one-cookie', '/s/x', [Cookie => "a=1; tk=$good"], 200, 'ok');
case('one-arg', "/s/x?t=$good", [], 200, 'ok');
case('near-names', "/s/x?tt=1&xt=2&t=$good",
     [Cookie => "tkx=1; xtk=2", 'X-Tickets' => 'x'], 200, 'ok');

# two copies of one source: malformed, whichever is first

case('header-twice', '/s/x', ['X-Ticket' => $good, 'X-Ticket' => $forged],
     401, 'malformed');
case('header-twice-case', '/s/x',
     ['X-Ticket' => $good, 'x-TICKET' => $forged], 401, 'malformed');
case('header-underscore', '/s/x',
     ['X-Ticket' => $good, 'X_Ticket' => $forged], 401, 'malformed');
case('cookie-twice', '/s/x', [Cookie => "tk=$good; tk=$forged"], 401,
     'malformed');
case('cookie-twice-lines', '/s/x',
     [Cookie => "tk=$good", Cookie => "tk=$forged"], 401, 'malformed');
case('cookie-twice-case', '/s/x', [Cookie => "tk=$good; TK=$forged"], 401,
     'malformed');
case('cookie-twice-empty', '/s/x', [Cookie => "tk=; tk=$good"], 401,
     'malformed');
case('arg-twice', "/s/x?t=$good&t=$forged", [], 401, 'malformed');
case('arg-twice-case', "/s/x?t=$good&T=$forged", [], 401, 'malformed');
case('arg-twice-encoded', "/s/x?t=$good&%74=$forged", [], 401,
     'malformed');
case('arg-twice-bare', "/s/x?t=$good&t", [], 401, 'malformed');

# a later source present twice is no less ambiguous to its reader

case('header-then-cookie-twice', '/s/x',
     ['X-Ticket' => $good, Cookie => "tk=$forged; tk=$forged"], 401,
     'malformed');
case('header-then-arg-twice', "/s/x?t=$forged&t=$forged",
     ['X-Ticket' => $good], 401, 'malformed');

# one copy in each of two sources is as ambiguous (t/sources_two.t)

case('header-and-cookie', '/s/x',
     ['X-Ticket' => $good, Cookie => "tk=$forged"], 401, 'malformed');

# Authorization: Bearer

case('bearer', '/default/x', [Authorization => "Bearer $good"], 200, 'ok');

my $r = $t->get('/default/x?c=bearer-twice',
                headers => [Authorization => "Bearer $good",
                            Authorization => "Bearer $forged"]);
isnt($r->{status}, 200, 'bearer-twice: not allowed');

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
