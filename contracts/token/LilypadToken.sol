// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {ERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/ERC20Permit.sol";

/// @title The token that pays for jobs and backs collateral. ERC-20 with ERC-2612 permit.
contract LilypadToken is ERC20, ERC20Permit {
    /// @param faucet Receives the whole supply (on the dev chain, the account that funds everyone else).
    /// @param supply Total supply in wei.
    constructor(address faucet, uint256 supply) ERC20("Lilypad", "LP") ERC20Permit("Lilypad") {
        _mint(faucet, supply);
    }
}
